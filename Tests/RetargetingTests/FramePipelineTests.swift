import EquivariantModel
import Retargeting
import SyntheticScenes
import Tensors
import TestSupport
import VideoIO
import XCTest

/// The one frame pipeline against the model's own operations (``RenderMode/model``): at
/// the model's size the pixels in and out are exact (swscale copies), so each effect must
/// equal the model operation it stands for, quantised to 8 bits. Composition at full
/// resolution is tested in `CompositePipelineTests`.
final class FramePipelineTests: XCTestCase {
    let generator = try! SceneGenerator(SceneGenerator.Configuration(resolution: 32))

    func frame(_ t: Int) throws -> Frame {
        let clip = generator.clip(frames: 4, character: 1, background: 2, seed: 5)
        return try Frame(modelTensor: clip.frames[t], index: t)
    }

    func plate(_ background: Int) throws -> Frame { try Frame(modelTensor: generator.plate(background: background)) }

    /// A frame as the pipeline hands it to the model (8-bit pixels through libswscale).
    func tensor(_ frame: Frame) throws -> Tensor { try FramePipeline(model: try ModelFixtures.smallModel("pixels")).modelFrame(frame) }

    /// A frame above the documented size is refused before any full-resolution buffer is
    /// made (a 16000×12000 still took 23 GB and was killed); the limit itself passes.
    func testFramesAboveTheSizeLimitAreRefusedBeforeTheyAreProcessed() throws {
        XCTAssertTrue(FrameSizeLimit.allows(width: 8192, height: 4320))
        XCTAssertTrue(FrameSizeLimit.allows(width: 16384, height: 1))
        XCTAssertFalse(FrameSizeLimit.allows(width: 8192, height: 4321))
        XCTAssertFalse(FrameSizeLimit.allows(width: 16385, height: 1))
        XCTAssertFalse(FrameSizeLimit.allows(width: 0, height: 1))
        let swap = try FramePipeline(model: try ModelFixtures.smallModel("features"), effect: .swap)
        swap.setBackground(try plate(3))
        let width = 9000, height = 4400  // 39.6 Mpixels
        var pixels = [UInt8](repeating: 90, count: 3 * width * height)
        try pixels.withUnsafeMutableBytes { bytes in
            let image = PixelBuffer(base: bytes.baseAddress!, width: width, height: height, stride: 3 * width, layout: .rgb8)
            XCTAssertThrowsError(try swap.process(image, into: image)) { error in
                XCTAssertTrue("\(error)".contains("9000x4400 frame is outside what the effects take"), "\(error)")
            }
        }
        XCTAssertEqual(swap.frameIndex, 0, "nothing was processed")
    }

    func testSwapWithAStillBackgroundEqualsTheModelsSwap() throws {
        let model = try ModelFixtures.smallModel("features")
        let swap = try FramePipeline(model: model, effect: .swap)
        swap.renderMode = .model
        XCTAssertThrowsError(try swap.process(try frame(0))) { XCTAssertTrue("\($0)".contains("needs a background"), "\($0)") }
        XCTAssertFalse(swap.isReady)
        swap.setBackground(try plate(3))
        XCTAssertTrue(swap.isReady)
        for t in 0..<3 {
            let out = try swap.process(try frame(t))
            let expected = try model.swap(characterFrames: try tensor(try frame(t)), backgroundFrames: try tensor(try plate(3)))
            XCTAssertEqual(out.rgb8, try Frame(modelTensor: expected).rgb8, "frame \(t)")
            XCTAssertEqual(out.index, t)
        }
        XCTAssertEqual(swap.frameIndex, 3)
        // A per-frame background (a video editor's second track) is encoded per frame.
        let moving = try swap.process(try frame(1), background: try frame(2))
        XCTAssertEqual(moving.rgb8, try Frame(modelTensor: try model.swap(characterFrames: try tensor(try frame(1)), backgroundFrames: try tensor(try frame(2)))).rgb8)
    }

    func testTransformInterpolatesKeyframesAndMatchesRerender() throws {
        let a = Affine2D(angle: 0.2), b = Affine2D(angle: 0.6, translationX: 0.2)
        let middle = RetargetEffect.motion(at: 5, keyframes: [0: a, 10: b])
        for k in 0..<6 { XCTAssertEqual(middle.elements[k], (a.elements[k] + b.elements[k]) / 2, accuracy: 1e-6) }
        XCTAssertEqual(RetargetEffect.motion(at: -3, keyframes: [0: a, 10: b]), a)
        XCTAssertEqual(RetargetEffect.motion(at: 99, keyframes: [0: a, 10: b]), b)

        let model = try ModelFixtures.smallModel("given")
        let transform = try FramePipeline(model: model, effect: .transform(keyframes: [0: b]))
        transform.renderMode = .model
        transform.setBackground(try frame(0))
        let out = try transform.process(try frame(0))
        XCTAssertEqual(out.rgb8, try Frame(modelTensor: try model.rerender(try tensor(try frame(0)), motions: [b])).rgb8)
        XCTAssertThrowsError(try FramePipeline(model: model, effect: .transform(keyframes: [3: Affine2D([0, 0, 0, 0, 0, 0])])))
        // A refused effect leaves the pipeline's effect as it was.
        XCTAssertThrowsError(try transform.setEffect(.transform(keyframes: [0: Affine2D([0, 0, 0, 0, 0, 0])])))
        XCTAssertEqual(transform.effect, .transform(keyframes: [0: b]))
    }

    func testReconstructAndTransfer() throws {
        let model = try ModelFixtures.smallModel("pixels")
        let reconstruct = try FramePipeline(model: model, effect: .reconstruct)
        XCTAssertTrue(reconstruct.isReady)
        XCTAssertEqual(try reconstruct.process(try frame(1)).rgb8, try Frame(modelTensor: try model.reconstruct(try tensor(try frame(1)))).rgb8)

        let template = MotionTemplate(variant: "pixels", resolution: 32, frameRate: nil, steps: [Affine2D(translationX: 0.1).elements])
        let transfer = try FramePipeline(model: model, effect: .transfer(template))
        transfer.renderMode = .model
        transfer.setBackground(try frame(0))
        let expected = model.compose(
            character: model.moveCharacter(try model.encodeCharacter(try tensor(try frame(2))), theta: Tensor(shape: [1, 6], scalars: Affine2D(translationX: 0.1).elements)),
            background: try model.encodeBackground(try tensor(try frame(0))))
        XCTAssertEqual(try transfer.process(try frame(2)).rgb8, try Frame(modelTensor: expected).rgb8)
        let wrongSize = MotionTemplate(variant: "pixels", resolution: 64, frameRate: nil, steps: [Affine2D.identity.elements])
        XCTAssertThrowsError(try FramePipeline(model: model, effect: .transfer(wrongSize))) { XCTAssertTrue("\($0)".contains("64×64"), "\($0)") }
    }

    /// Output comes at the input's own size, whatever the model's.
    func testOutputHasTheInputsSize() throws {
        let model = try ModelFixtures.smallModel("features")
        let pipeline = try FramePipeline(model: model)
        pipeline.setBackground(try Frame(width: 90, height: 50, red: 10, green: 200, blue: 30))
        let input = try Frame(width: 90, height: 50, red: 200, green: 100, blue: 50)
        let out = try pipeline.process(input)
        XCTAssertEqual([out.width, out.height], [90, 50])
        XCTAssertNotEqual(out.rgb8, input.rgb8)
        // YUV 4:2:0 is an output layout: refused as input or background, by name.
        var yuv = [UInt8](repeating: 128, count: PixelLayout.yuv420p.byteCount(width: 90, height: 50))
        try yuv.withUnsafeMutableBytes { bytes in
            let buffer = PixelBuffer(base: bytes.baseAddress!, width: 90, height: 50, stride: 90, layout: .yuv420p)
            XCTAssertThrowsError(try pipeline.setBackground(buffer)) { XCTAssertTrue("\($0)".contains("not yuv420p"), "\($0)") }
            XCTAssertThrowsError(try pipeline.process(buffer, into: buffer)) { XCTAssertTrue("\($0)".contains("output layout"), "\($0)") }
            // Rendering into it works and changes it.
            try input.withPixelBuffer { try pipeline.process($0, into: buffer) }
        }
        XCTAssertNotEqual(Set(yuv), [128])
    }

    /// cover crops the background to the video's aspect, contain pads it with black,
    /// stretch scales it whole; a background of the same aspect is not changed by the choice.
    func testBackgroundFit() throws {
        let model = try ModelFixtures.smallModel("features")
        // A 2:1 background: left half red, right half blue, with a green band in the middle quarter.
        var wide = try Frame(width: 64, height: 32)
        wide.withMutablePixelBuffer { buffer in
            let p = buffer.base.assumingMemoryBound(to: UInt8.self)
            for y in 0..<32 { for x in 0..<64 {
                let i = y * buffer.stride + 3 * x
                let colour: [UInt8] = (24..<40).contains(x) ? [0, 255, 0] : (x < 32 ? [255, 0, 0] : [0, 0, 255])
                p[i] = colour[0]; p[i + 1] = colour[1]; p[i + 2] = colour[2]
            } }
        }
        let video = try Frame(width: 32, height: 32, red: 128, green: 128, blue: 128)
        func output(_ fit: BackgroundFit) throws -> [UInt8] {
            let pipeline = try FramePipeline(model: model, backgroundFit: fit)
            pipeline.setBackground(wide)
            return try pipeline.process(video).rgb8
        }
        let cover = try output(.cover), contain = try output(.contain), stretch = try output(.stretch)
        XCTAssertNotEqual(cover, contain)
        XCTAssertNotEqual(cover, stretch)
        XCTAssertNotEqual(contain, stretch)
        // cover is the centre square of the background, given as a still of its own.
        let centre = try Frame(modelTensor: try wide.modelTensor.croppedColumns(16..<48))
        let explicit = try FramePipeline(model: model, backgroundFit: .stretch)
        explicit.setBackground(centre)
        XCTAssertEqual(cover, try explicit.process(video).rgb8)
        // Same aspect: the fit does not matter.
        let square = try FramePipeline(model: model, backgroundFit: .contain)
        square.setBackground(centre)
        XCTAssertEqual(try square.process(video).rgb8, cover)
        // The notice names the sizes, or is absent when the aspects match.
        let pipeline = try FramePipeline(model: model)
        pipeline.setBackground(wide)
        XCTAssertEqual(pipeline.backgroundFitNotice(videoWidth: 64, videoHeight: 32), nil)
        XCTAssertTrue(pipeline.backgroundFitNotice(videoWidth: 32, videoHeight: 32)?.contains("64x32") ?? false)
    }

    func testFitGeometry() {
        XCTAssertEqual(BackgroundFit.coverCrop(imageWidth: 1600, imageHeight: 900, frameWidth: 640, frameHeight: 480).width, 1200)
        XCTAssertEqual(BackgroundFit.coverCrop(imageWidth: 1600, imageHeight: 900, frameWidth: 640, frameHeight: 480).x, 200)
        XCTAssertEqual(BackgroundFit.coverCrop(imageWidth: 640, imageHeight: 480, frameWidth: 1600, frameHeight: 900).height, 360)
        XCTAssertEqual(BackgroundFit.coverCrop(imageWidth: 640, imageHeight: 480, frameWidth: 1600, frameHeight: 900).y, 60)
        let contained = BackgroundFit.containedSize(imageWidth: 1600, imageHeight: 900, frameWidth: 640, frameHeight: 480, side: 64)
        XCTAssertEqual(contained.width, 64)
        XCTAssertEqual(contained.height, 48)
        XCTAssertTrue(BackgroundFit.aspectsMatch(imageWidth: 1920, imageHeight: 1080, frameWidth: 1280, frameHeight: 720))
        XCTAssertFalse(BackgroundFit.aspectsMatch(imageWidth: 1920, imageHeight: 1080, frameWidth: 640, frameHeight: 480))
    }
}

private extension Tensor {
    /// The columns `range` of a `[1, 3, H, W]` image.
    func croppedColumns(_ range: Range<Int>) throws -> Tensor {
        let h = shape[2], w = shape[3]
        var out: [Float] = []
        for c in 0..<3 { for y in 0..<h { for x in range { out.append(scalars[(c * h + y) * w + x]) } } }
        return Tensor(shape: [1, 3, h, range.count], scalars: out)
    }
}
