// swift-tools-version: 6.1
import PackageDescription

// Benchmarks live in their own package so the main build and CI never compile the harness.
// Run them with `make bench` (or `swift package --package-path Benchmarks benchmark`).
let package = Package(
    name: "PodiumBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Podium", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
        // Only to measure it against Podium's own Mustache engine (docs/templates.md).
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
    ],
    targets: [
        .executableTarget(
            name: "OverlayBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "PodiumOverlay", package: "Podium"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            path: "Benchmarks/OverlayBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
