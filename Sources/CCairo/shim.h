#ifndef PODIUM_CCAIRO_SHIM_H
#define PODIUM_CCAIRO_SHIM_H

/* Cairo draws previews: rectangles, lines and text (FreeType through fontconfig) with alpha, written as PNG. */
#include <cairo/cairo.h>

#endif
