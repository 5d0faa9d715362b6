import ArgumentParser
import Foundation
import NeuralNetwork
import ProcessSettings
import Tensors

extension Conv2D.ThinKernels: ExpressibleByArgument {}
extension Conv2D.DeepKernels: ExpressibleByArgument {}

/// `eqr bench kernels`: sgemm GFLOP/s (the practical ceiling, measured in the same run)
/// and the forward/backward GFLOP/s of every convolution shape the model uses, plus the
/// spatial transformer's time per call.
struct BenchKernelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernels", abstract: "Measure sgemm, convolution and spatial-transformer throughput.")

    @Flag(help: "Print one JSON object instead of a table.") var json = false
    @Flag(help: "Fewer repetitions and only the 64×64 shapes (for smoke tests).") var quick = false
    @OptionGroup var threads: ThreadOptions
    @Option(parsing: .unconditional, help: "Batch size.") var batch = 16
    @Option(help: "What runs the thin layers: automatic (the direct kernels where they beat OpenBLAS's kernel), direct (the widest the CPU has), direct-avx2, or blas.")
    var thinKernels: Conv2D.ThinKernels = .automatic
    @Option(help: "What runs the other layers: automatic (the AVX-512 direct kernels where OpenBLAS's kernel is narrower than the CPU), direct (the AVX-512 direct kernels where the CPU has them), or blas.")
    var deepKernels: Conv2D.DeepKernels = .automatic

    func validate() throws {
        guard batch > 0 else { throw ValidationError("--batch must be positive, got \(batch)") }
    }

    /// One convolution of the model at one resolution.
    struct ConvShape {
        var name: String, inputChannels: Int, outputChannels: Int, kernel: Int, stride: Int, size: Int
    }

    /// The convolutions of the shipped models (feature stride 2) at a model resolution:
    /// f/h's stem and stride-2 layer, the 64→64 layers at R/2 (f/h's last two, g's first and
    /// its residual blocks), g's and the coverage head's 64→32 at R/2, and the RGB output.
    static func modelConvolutions(resolution r: Int) -> [ConvShape] {
        [
            ConvShape(name: "enc1 3→32 s1", inputChannels: 3, outputChannels: 32, kernel: 3, stride: 1, size: r),
            ConvShape(name: "enc2 32→64 s2", inputChannels: 32, outputChannels: 64, kernel: 3, stride: 2, size: r),
            ConvShape(name: "enc3 64→64 s1", inputChannels: 64, outputChannels: 64, kernel: 3, stride: 1, size: r / 2),
            ConvShape(name: "dec2 64→32 s1", inputChannels: 64, outputChannels: 32, kernel: 3, stride: 1, size: r / 2),
            ConvShape(name: "dec3 32→3 s1", inputChannels: 32, outputChannels: 3, kernel: 3, stride: 1, size: r),
        ]
    }

    struct LayerFigures: Encodable {
        var name: String
        var shape: [Int]
        /// What runs the training step's forward and backward: `direct-avx2` or
        /// `direct-avx512` (the thin layers' kernels) or `blas`.
        var path: String
        /// What runs a forward pass without a tape (inference): `winograd` or the training path.
        var inference_path: String
        var forward_gflops: Double
        var backward_gflops: Double
        var forward_ratio_to_sgemm: Double
        var backward_ratio_to_sgemm: Double
        var forward_ms: Double
        var backward_ms: Double
        var padding_share_of_forward: Double
        /// The multiply-adds of the direct convolution, twice, over the inference time (for
        /// Winograd an effective figure: it runs a quarter of them).
        var inference_gflops: Double
        var inference_ratio_to_sgemm: Double
        var inference_ms: Double

        /// These figures with their ratios to an sgemm of `sgemm` GFLOP/s.
        func relative(toSgemm sgemm: Double) -> LayerFigures {
            var figures = self
            figures.forward_ratio_to_sgemm = forward_gflops / sgemm
            figures.backward_ratio_to_sgemm = backward_gflops / sgemm
            figures.inference_ratio_to_sgemm = inference_gflops / sgemm
            return figures
        }
    }

    struct TransformerFigures: Encodable {
        var shape: [Int]
        var forward_ms: Double
        var backward_ms: Double
    }

    struct Report: Encodable {
        var threads: Int
        var sgemm_gflops: Double
        var blas_kernel: String
        var sgemm_size: Int
        var layers: [LayerFigures]
        var spatial_transformer: [TransformerFigures]
    }

    func run() throws {
        threads.apply()
        let repetitions = quick ? 2 : 5
        let sgemmSize = quick ? 1024 : 2048
        // The layers run with OpenBLAS single-threaded (the layers' policy, see BLAS), and
        // before the sgemm: OpenBLAS's threads spin for a while after a threaded product and
        // would slow the first layers measured after it (by up to half).
        ProcessSettings.blasThreadCount = 1
        // One untimed pass first: the first layers a fresh process runs took up to twice as
        // long (thread start-up, first-touch memory), in every repetition.
        for shape in Self.modelConvolutions(resolution: 64) { _ = measure(shape, repetitions: 1) }
        var layers: [LayerFigures] = []
        for resolution in quick ? [64] : [64, 128] {
            for shape in Self.modelConvolutions(resolution: resolution) {
                layers.append(measure(shape, repetitions: repetitions))
            }
        }
        // The ceiling: one large sgemm with OpenBLAS's own threads on every worker core.
        ProcessSettings.blasThreadCount = Parallel.workerCount
        let sgemm = Self.measureSgemm(size: sgemmSize, repetitions: repetitions)
        ProcessSettings.blasThreadCount = 1
        layers = layers.map { $0.relative(toSgemm: sgemm) }
        var transformers: [TransformerFigures] = []
        for size in quick ? [16] : [16, 32] {
            transformers.append(Self.measureTransformer(shape: [batch, 64, size, size], repetitions: repetitions))
        }
        let report = Report(threads: Parallel.workerCount, sgemm_gflops: sgemm, blas_kernel: ProcessSettings.blasKernelSummary, sgemm_size: sgemmSize, layers: layers, spatial_transformer: transformers)
        if json {
            try printJSON(report, pretty: true)
        } else {
            printTable(report)
        }
    }

    /// The best of `repetitions` timings of `body`, in seconds.
    static func bestTime(repetitions: Int, _ body: () -> Void) -> Double {
        let clock = ContinuousClock()
        var best = Double.infinity
        for _ in 0..<repetitions {
            let start = clock.now
            body()
            best = min(best, (clock.now - start).inSeconds)
        }
        return best
    }

    static func measureSgemm(size n: Int, repetitions: Int) -> Double {
        let a = randomInput([n, n], seed: 1), b = randomInput([n, n], seed: 2)
        _ = BLAS.matmul(a, b)  // warm up threads and caches
        let seconds = bestTime(repetitions: repetitions) { _ = BLAS.matmul(a, b) }
        return 2 * Double(n * n * n) / seconds / 1e9
    }

    static func randomInput(_ shape: [Int], seed: UInt64) -> Tensor {
        var generator = SeededGenerator(seed: seed)
        return Tensor(shape: shape, uniformIn: -1...1, generator: &generator)
    }

    /// One layer's timings; the ratios to sgemm are filled in by ``LayerFigures/relative(toSgemm:)``.
    func measure(_ s: ConvShape, repetitions: Int) -> LayerFigures {
        var generator = SeededGenerator(seed: 3)
        let conv = Conv2D(inputChannels: s.inputChannels, outputChannels: s.outputChannels, kernelSize: s.kernel,
                          stride: s.stride, padding: s.kernel / 2, generator: &generator)
        conv.thinKernels = thinKernels
        conv.deepKernels = deepKernels
        let input = Self.randomInput([batch, s.inputChannels, s.size, s.size], seed: 4)
        let output = conv(input)
        let outputGradient = Self.randomInput(output.shape, seed: 5)
        // Training's forward pass (a tape: the input kept for backward), and inference's.
        let forward = Self.bestTime(repetitions: repetitions) { _ = conv.forward(input, tape: Tape()) }
        let inference = Self.bestTime(repetitions: repetitions) { _ = conv.forward(input, tape: nil) }
        // Backward alone: forward and backward minus forward, both with a tape.
        let forwardAndBackward = Self.bestTime(repetitions: repetitions) {
            let tape = Tape()
            _ = conv.forward(input, tape: tape)
            _ = conv.backward(outputGradient, tape: tape)
        }
        let backward = max(forwardAndBackward - forward, 1e-9)
        // The padding share: copying every sample into its shifted-window planes (spread over
        // the workers as forward does), against the whole forward pass; the rest is GEMMs.
        let geometry = ConvolutionGeometry(channels: s.inputChannels, height: s.size, width: s.size, kernelHeight: s.kernel,
                                           kernelWidth: s.kernel, stride: s.stride, padding: s.kernel / 2)
        let windows = ShiftedWindows(geometry)
        let padding = Self.bestTime(repetitions: repetitions) {
            input.withUnsafePointer { x in
                Parallel.forEach(batch) { n in
                    ScratchPool.withBuffer(count: windows.planesCount(rows: geometry.outputHeight)) { planes in
                        windows.pad(x + n * s.inputChannels * s.size * s.size, into: planes, outputRows: 0..<geometry.outputHeight)
                    }
                }
            }
        }
        let flops = 2 * Double(batch * s.outputChannels * geometry.columnRows * geometry.columnCount)
        let forwardGflops = flops / forward / 1e9, backwardGflops = 2 * flops / backward / 1e9, inferenceGflops = flops / inference / 1e9
        let path = conv.productKernels?.rawValue ?? "blas"
        return LayerFigures(
            name: "\(s.name) @\(s.size)", shape: [batch, s.inputChannels, s.size, s.size] + [s.outputChannels, s.kernel, s.stride],
            path: path, inference_path: conv.runsWinogradAtInference ? "winograd" : path,
            forward_gflops: forwardGflops, backward_gflops: backwardGflops,
            forward_ratio_to_sgemm: 0, backward_ratio_to_sgemm: 0,
            forward_ms: forward * 1000, backward_ms: backward * 1000, padding_share_of_forward: padding / forward,
            inference_gflops: inferenceGflops, inference_ratio_to_sgemm: 0, inference_ms: inference * 1000)
    }

    static func measureTransformer(shape: [Int], repetitions: Int) -> TransformerFigures {
        let input = randomInput(shape, seed: 6)
        var theta = Tensor(shape: [shape[0], 6])
        for n in 0..<shape[0] { theta.scalars.replaceSubrange((n * 6)..<(n * 6 + 6), with: [0.9, -0.2, 0.1, 0.2, 0.9, -0.05]) }
        let transformer = SpatialTransformer()
        let outputGradient = randomInput(shape, seed: 7)
        let forward = bestTime(repetitions: repetitions) { _ = transformer.forward(input: input, theta: theta, tape: nil) }
        let backward = bestTime(repetitions: repetitions) {
            let tape = Tape()
            _ = transformer.forward(input: input, theta: theta, tape: tape)
            _ = transformer.backward(outputGradient, tape: tape)
        } - forward
        return TransformerFigures(shape: shape, forward_ms: forward * 1000, backward_ms: max(0, backward) * 1000)
    }

    func printTable(_ r: Report) {
        func f(_ x: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", x) }
        print(r.blas_kernel)
        print("threads \(r.threads); sgemm \(r.sgemm_size)³: \(f(r.sgemm_gflops)) GFLOP/s (the ceiling for the ratios below)")
        print("conv layer (batch \(batch))".padding(toLength: 30, withPad: " ", startingAt: 0)
              + "  fwd ms   fwd GF/s  fwd/sgemm   bwd ms   bwd GF/s  bwd/sgemm  padding share  path           inference ms  GF/s  /sgemm  path")
        for l in r.layers {
            print(l.name.padding(toLength: 30, withPad: " ", startingAt: 0)
                  + String(format: "%8.2f %10.1f %9.0f%% %8.2f %10.1f %9.0f%% %11.0f%%  ",
                           l.forward_ms, l.forward_gflops, 100 * l.forward_ratio_to_sgemm,
                           l.backward_ms, l.backward_gflops, 100 * l.backward_ratio_to_sgemm, 100 * l.padding_share_of_forward)
                  + l.path.padding(toLength: 15, withPad: " ", startingAt: 0)
                  + String(format: "%12.2f %6.1f %6.0f%%  ", l.inference_ms, l.inference_gflops, 100 * l.inference_ratio_to_sgemm) + l.inference_path)
        }
        print("inference GF/s count the direct convolution's multiply-adds (Winograd runs a quarter of them)")
        for t in r.spatial_transformer {
            print("spatial transformer \(t.shape): forward \(f(t.forward_ms, 2)) ms, backward \(f(t.backward_ms, 2)) ms per call")
        }
    }
}
