// swift-tools-version:6.0
import PackageDescription

/// The equivariant renderer: a Swift library that learns to split a moving character from
/// its static background, an ffmpeg-style host (`eqr`), a C ABI and a frei0r plugin.
/// Linker settings for a shared object that C hosts load without a Swift toolchain: the
/// Swift runtime and Foundation linked in statically (their static archives do not pull in
/// each other, hence the group), a version script that exports only the public C symbols, and
/// `-z nodelete`: the runtime keeps worker threads and TLS destructors alive, so the object must
/// stay mapped when a host dlcloses it (FFmpeg's frei0r filter does, at exit).
func staticSwiftRuntime(exporting versionScript: String) -> [LinkerSetting] {
    let foundation = ["Foundation", "FoundationInternationalization", "FoundationEssentials", "CoreFoundation",
                      "_FoundationCollections", "_FoundationCShims", "_FoundationICU", "swiftSynchronization"]
    return [.unsafeFlags(["-static-stdlib", "-Xlinker", "--start-group"] + foundation.flatMap { ["-Xlinker", "-l\($0)"] }
                         + ["-Xlinker", "--end-group", "-Xlinker", "--version-script=\(Context.packageDirectory)/\(versionScript)", "-Xlinker", "-z", "-Xlinker", "nodelete"])]
}

let package = Package(
    name: "EquivariantRendering",
    products: [
        .library(name: "Tensors", targets: ["Tensors"]),
        .library(name: "SafeTensors", targets: ["SafeTensors"]),
        .library(name: "NeuralNetwork", targets: ["NeuralNetwork"]),
        .library(name: "VideoIO", targets: ["VideoIO"]),
        .library(name: "SyntheticScenes", targets: ["SyntheticScenes"]),
        .library(name: "EquivariantModel", targets: ["EquivariantModel"]),
        .library(name: "Retargeting", targets: ["Retargeting"]),
        .library(name: "Training", targets: ["Training"]),
        .library(name: "Distributed", targets: ["Distributed"]),
        .executable(name: "eqr", targets: ["eqr"]),
        .executable(name: "eqr-fuzz", targets: ["eqr-fuzz"]),
        // The C ABI, libequivariant.so: Swift runtime linked in, only eqr_* exported.
        .library(name: "equivariant", type: .dynamic, targets: ["Equivariant"]),
        // The frei0r filter plugin, installed as equivariant.so: Swift runtime linked in, only f0r_* exported.
        .library(name: "equivariant-frei0r", type: .dynamic, targets: ["Frei0rFilter"]),
        // The frei0r mixer2 plugin for MLT (melt, Kdenlive, Shotcut), installed as equivariant_mixer.so.
        .library(name: "equivariant-frei0r-mixer", type: .dynamic, targets: ["Frei0rMixer"]),
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
        .systemLibrary(name: "CCPUID", path: "CInterop/CCPUID"),
        .systemLibrary(
            name: "CMPI", path: "CInterop/CMPI", pkgConfig: "ompi-c",
            providers: [.apt(["libopenmpi-dev"])]),
        .systemLibrary(name: "CEquivariant", path: "CInterop/CEquivariant"),
        .systemLibrary(
            name: "CFrei0r", path: "CInterop/CFrei0r",
            providers: [.apt(["frei0r-plugins-dev"])]),

        // MARK: - Swift modules
        .target(name: "Tensors", dependencies: ["COpenBLAS"]),
        .target(name: "SafeTensors", dependencies: ["Tensors"]),
        // Direct kernels for thin convolutions, compiled for AVX2 + FMA and, from the same file, for
        // AVX-512: each called only where the CPU has its instruction set.
        .target(name: "VectorKernels", swiftSettings: [.unsafeFlags(["-Xcc", "-mavx2", "-Xcc", "-mfma"])]),
        .target(name: "VectorKernels512", swiftSettings: [.unsafeFlags(["-Xcc", "-mavx2", "-Xcc", "-mfma", "-Xcc", "-mavx512f"])]),
        .target(name: "NeuralNetwork", dependencies: ["Tensors", "CCPUID", "VectorKernels", "VectorKernels512"]),
        .target(name: "VideoIO", dependencies: ["CFFmpeg"]),
        .target(name: "SyntheticScenes", dependencies: ["Tensors"]),
        // The model core: f, h, g, the T^z variants, configuration, checkpoints, trainer (no video I/O).
        .target(name: "EquivariantModel", dependencies: ["Tensors", "SafeTensors", "NeuralNetwork"]),
        // Effects, motion templates, backgrounds and the one frame pipeline every front end runs.
        .target(name: "Retargeting", dependencies: ["EquivariantModel", "Tensors", "VideoIO"]),
        // Training data (synthetic scenes, videos), runs, evaluation, metrics, sheets and plots.
        .target(name: "Training", dependencies: ["EquivariantModel", "Retargeting", "NeuralNetwork", "SyntheticScenes", "Tensors", "VideoIO"]),
        // Owned C strings and checked handles, shared by the C library and the frei0r plugins.
        .target(name: "CInteropSupport"),
        .target(
            name: "Equivariant", dependencies: ["CEquivariant", "CInteropSupport", "EquivariantModel", "Retargeting", "Training", "VideoIO", "Tensors"],
            linkerSettings: staticSwiftRuntime(exporting: "CInterop/equivariant.map")),
        .target(name: "Frei0rSupport", dependencies: ["CFrei0r", "CInteropSupport", "EquivariantModel", "Retargeting", "VideoIO"]),
        .target(name: "Frei0rFilter", dependencies: ["Frei0rSupport"], linkerSettings: staticSwiftRuntime(exporting: "CInterop/frei0r-filter.map")),
        .target(name: "Frei0rMixer", dependencies: ["Frei0rSupport"], linkerSettings: staticSwiftRuntime(exporting: "CInterop/frei0r-mixer.map")),
        // Open MPI behind one type, for data-parallel training (linked by eqr only, never by the shared libraries).
        .target(name: "Distributed", dependencies: ["CMPI", "EquivariantModel"]),
        // Process-wide settings for executables (never linked into the shared libraries).
        .target(name: "ProcessSettings", dependencies: ["CFFmpeg", "CMalloc", "COpenBLAS", "Tensors"]),
        .executableTarget(
            name: "eqr",
            dependencies: [
                "ProcessSettings", "Tensors", "NeuralNetwork", "VideoIO", "SyntheticScenes", "EquivariantModel", "Retargeting", "Training", "Distributed",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        // The parsers of users' files and strings and the frei0r entry points as fuzz targets: a normal build replays inputs
        // (`eqr-fuzz FILE|DIR …`); built with `-sanitize=fuzzer,address -DFUZZING` it is a
        // libFuzzer binary (Tests/Fuzz/run.sh).
        .executableTarget(name: "eqr-fuzz", dependencies: ["EquivariantModel", "Retargeting", "Tensors", "Frei0rSupport", "CFrei0r"]),

        // MARK: - Tests
        .target(name: "TestSupport", dependencies: ["Tensors", "NeuralNetwork", "EquivariantModel"], path: "Tests/TestSupport"),
        .testTarget(name: "TensorsTests", dependencies: ["Tensors", "TestSupport", "ProcessSettings"]),
        .testTarget(name: "SafeTensorsTests", dependencies: ["SafeTensors", "Tensors"]),
        .testTarget(name: "NeuralNetworkTests", dependencies: ["NeuralNetwork", "TestSupport"]),
        .testTarget(name: "VideoIOTests", dependencies: ["VideoIO", "CMalloc", "ProcessSettings"]),
        .testTarget(name: "SyntheticScenesTests", dependencies: ["SyntheticScenes", "NeuralNetwork", "TestSupport"]),
        .testTarget(name: "EquivariantModelTests", dependencies: ["EquivariantModel", "SafeTensors", "Training", "SyntheticScenes", "TestSupport"]),
        .testTarget(name: "RetargetingTests", dependencies: ["Retargeting", "EquivariantModel", "VideoIO", "SyntheticScenes", "TestSupport"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "EquivariantModel", "SyntheticScenes", "Tensors", "TestSupport", "VideoIO"]),
        .testTarget(name: "EqrTests", exclude: ["C"]),
    ],
    swiftLanguageModes: [.v5]
)
