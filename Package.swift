// swift-tools-version:6.0
import PackageDescription

/// The equivariant renderer: a Swift library that learns to split a moving character from
/// its static background, an ffmpeg-style host (`eqr`), a C ABI and a frei0r plugin.
let package = Package(
    name: "EquivariantRendering",
    products: [
        .library(name: "Tensors", targets: ["Tensors"]),
        .library(name: "NeuralNetwork", targets: ["NeuralNetwork"]),
        .library(name: "VideoIO", targets: ["VideoIO"]),
        .library(name: "SyntheticScenes", targets: ["SyntheticScenes"]),
        .library(name: "EquivariantRenderer", targets: ["EquivariantRenderer"]),
        .executable(name: "eqr", targets: ["eqr"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // MARK: - C libraries, behind module maps and small shims
        .systemLibrary(
            name: "COpenBLAS", path: "CInterop/COpenBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(
            name: "CFFmpeg", path: "CInterop/CFFmpeg",
            pkgConfig: "libavformat libavcodec libavfilter libswscale libavutil",
            providers: [.apt(["libavformat-dev", "libavcodec-dev", "libavfilter-dev", "libswscale-dev", "libavutil-dev"])]),
        .systemLibrary(name: "CMalloc", path: "CInterop/CMalloc"),
        .systemLibrary(
            name: "CFrei0r", path: "CInterop/CFrei0r",
            providers: [.apt(["frei0r-plugins-dev"])]),

        // MARK: - Swift modules
        .target(name: "Tensors", dependencies: ["COpenBLAS", "CMalloc"]),
        .target(name: "NeuralNetwork", dependencies: ["Tensors"]),
        .target(name: "VideoIO", dependencies: ["CFFmpeg"]),
        .target(name: "SyntheticScenes", dependencies: ["Tensors", "NeuralNetwork"]),
        .target(name: "EquivariantRenderer", dependencies: ["Tensors", "NeuralNetwork", "SyntheticScenes", "VideoIO"]),
        .executableTarget(
            name: "eqr",
            dependencies: [
                "Tensors", "NeuralNetwork", "VideoIO", "SyntheticScenes", "EquivariantRenderer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        // MARK: - Tests
        .target(name: "TestSupport", dependencies: ["Tensors", "NeuralNetwork"], path: "Tests/TestSupport"),
        .testTarget(name: "TensorsTests", dependencies: ["Tensors", "TestSupport"]),
        .testTarget(name: "NeuralNetworkTests", dependencies: ["NeuralNetwork", "TestSupport"]),
        .testTarget(name: "VideoIOTests", dependencies: ["VideoIO", "CMalloc"]),
        .testTarget(name: "SyntheticScenesTests", dependencies: ["SyntheticScenes", "TestSupport"]),
        .testTarget(name: "EquivariantRendererTests", dependencies: ["EquivariantRenderer", "TestSupport"]),
        .testTarget(name: "EqrTests"),
    ],
    swiftLanguageModes: [.v5]
)
