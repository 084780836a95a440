// swift-tools-version: 6.1
import PackageDescription

// The fuzz targets live in their own package so the main build and its tests never compile the
// harness; libFuzzer supplies `main`. Run them with `make fuzz` (scripts/fuzz.sh), which builds
// with `--sanitize=fuzzer` and runs each target for a bounded time over its seed corpus.
let package = Package(
    name: "PodiumFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Podium", path: ".."),
    ],
    targets: [
        .executableTarget(
            name: "PodiumFuzz",
            dependencies: [
                .product(name: "PodiumOverlay", package: "Podium"),
                .product(name: "PodiumFeeds", package: "Podium"),
                .product(name: "PodiumMediaFormats", package: "Podium"),
            ],
            path: "Sources/PodiumFuzz",
            // libFuzzer's own `main` drives the target: this module must not define one.
            swiftSettings: [.swiftLanguageMode(.v6), .unsafeFlags(["-parse-as-library"])]
        ),
    ]
)
