// swift-tools-version: 6.1
import PackageDescription

/// Strict settings shared by every target (house style: Swift 6 mode plus three upcoming features).
let strictSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "Podium",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "podium", targets: ["podium"]),
        // The pure core as a library, for the benchmark package and other tools.
        .library(name: "PodiumOverlay", targets: ["Overlay"]),
        // Results intake and the media wire formats as libraries, for the fuzz package (Fuzz/).
        .library(name: "PodiumFeeds", targets: ["Feeds"]),
        .library(name: "PodiumMediaFormats", targets: ["MediaFormats"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        // Already in the graph through HummingbirdTesting; the CLI tests call `podium serve` with it.
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/weichsel/ZIPFoundation.git", from: "0.9.20"),
        // Already in the graph through Hummingbird; the API names header fields with it.
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        // Already in the graph through Hummingbird; `podium serve` runs its jobs beside the server with it.
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        // Already in the graph through async-http-client; SHA-256 and HMAC for document names,
        // API key digests and playback tokens.
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
    ],
    targets: [
        // FFmpeg's C libraries and the one shim header for what Swift cannot import.
        .systemLibrary(
            name: "CFFmpeg",
            path: "Sources/CFFmpeg",
            pkgConfig: "libavformat",
            providers: [.apt(["libavformat-dev", "libavcodec-dev", "libavutil-dev", "libswscale-dev"])]
        ),
        // Cairo (with FreeType and fontconfig underneath) for drawing previews.
        .systemLibrary(name: "CCairo", path: "Sources/CCairo", pkgConfig: "cairo", providers: [.apt(["libcairo2-dev"])]),
        // zlib's inflate, for gzip bodies and zipped Lenex: bounded, with an error for every bad stream.
        .systemLibrary(name: "CInflate", path: "Sources/CInflate", providers: [.apt(["zlib1g-dev"])]),
        // SQLite's C interface, for the one connection option GRDB does not offer.
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", providers: [.apt(["libsqlite3-dev"])]),
        // The pure core: domain model, feed parsing, timeline, payload encoding. No I/O, no FFmpeg;
        // its one library is swift-crypto, pure arithmetic.
        .target(name: "Overlay", dependencies: [.product(name: "Crypto", package: "swift-crypto")], swiftSettings: strictSettings),
        // Media wire formats and rules that need no C: URLs and their checks, output targets,
        // timestamp unwrapping and presentation order, MPEG-TS tables, HLS playlists, ADTS, ID3 repair.
        .target(name: "MediaFormats", dependencies: ["Overlay"], swiftSettings: strictSettings),
        // The FFmpeg boundary, the only media code that holds a C pointer: demux, mux, guarded I/O.
        .target(name: "MediaIO", dependencies: ["CFFmpeg", "MediaFormats", "Overlay"], swiftSettings: strictSettings),
        // The enrichment pipeline on threads: the read loop and frame clock, carriage, outputs, HLS.
        .target(name: "Pipeline", dependencies: ["MediaIO", "MediaFormats", "Overlay"], swiftSettings: strictSettings),
        // Decoded pictures and what is drawn on them with Cairo: previews and renditions.
        .target(name: "Pictures", dependencies: ["CFFmpeg", "CCairo", "MediaIO", "MediaFormats", "Overlay"], swiftSettings: strictSettings),
        // SQLite persistence of jobs, frames and received documents.
        .target(
            name: "Store",
            dependencies: ["Overlay", "CSQLite", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strictSettings
        ),
        // Results intake: format detection, unzipping, hashing, the audit log and derived facts.
        .target(
            name: "Feeds",
            dependencies: ["Overlay", "Store", "CInflate"],
            swiftSettings: strictSettings
        ),
        // Enrichment jobs end to end (results → overlay → carriers → outputs → store), for the CLI and the server.
        .target(
            name: "Jobs",
            dependencies: [
                "MediaFormats", "MediaIO", "Pipeline", "Pictures", "Overlay", "Store", "Feeds", .product(name: "Metrics", package: "swift-metrics"), .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // The HTTP edge.
        .target(
            name: "API",
            dependencies: [
                "Store", "Overlay", "Feeds", "Jobs", "MediaFormats", "MediaIO", "Pipeline", "Pictures",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            // The OpenAPI document the server serves (docs/openapi.yaml links to it), the web viewer
            // the module of exported OGraf graphics, the page that drives it, and the viewer-app SDK.
            resources: [.copy("Resources/openapi.yaml"), .copy("Resources/viewer.html"), .copy("Resources/ograf-graphic.mjs"), .copy("Resources/ograf-host.html"), .copy("Resources/podium-sdk.mjs"), .copy("Resources/podium-sdk.d.ts")],
            swiftSettings: strictSettings
        ),
        // The command-line tool that wires everything together.
        .executableTarget(
            name: "podium",
            dependencies: [
                "MediaFormats", "MediaIO", "Pipeline", "Pictures", "Overlay", "Store", "API", "Feeds", "Jobs",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings,
            // TCMalloc (gperftools) in place of glibc's malloc, for the whole process: the
            // enrichment pipeline allocates on one thread and frees on another (packets, frames),
            // which glibc's arenas serve slowly (docs/performance.md). Linked by its file name,
            // so only the runtime package is needed.
            linkerSettings: [.linkedLibrary(":libtcmalloc_minimal.so.4", .when(platforms: [.linux], configuration: .release))]
        ),
        // Independent readers (MPEG-TS, ID3) and fixture paths shared by the test targets.
        .target(
            name: "TestSupport",
            dependencies: [.product(name: "ZIPFoundation", package: "ZIPFoundation")],
            path: "Tests/TestSupport",
            swiftSettings: strictSettings
        ),
        .testTarget(name: "OverlayTests", dependencies: ["Overlay", "TestSupport"], swiftSettings: strictSettings),
        .testTarget(
            name: "IngestTests", dependencies: ["MediaFormats", "MediaIO", "Pipeline", "Pictures", "Overlay", "TestSupport"], swiftSettings: strictSettings
        ),
        .testTarget(
            name: "FeedsTests",
            dependencies: ["Feeds", "Store", "Overlay", "TestSupport", .product(name: "ZIPFoundation", package: "ZIPFoundation")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "StoreTests",
            dependencies: ["Store", "Overlay", "TestSupport", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "APITests",
            dependencies: [
                "API", "Store", "Overlay", "TestSupport", "Jobs", "Feeds", "MediaFormats", "Pipeline",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "PodiumTests",
            dependencies: [
                "podium", "Overlay", "Store", "TestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
    ]
)
