import Distributed
import Foundation
import Retargeting
import VideoIO

/// This process's share of a segment-parallel render (`mpirun -np N eqr -i … out.mp4`): the
/// clip's frames are split into N contiguous segments, each process renders its own into a
/// part file (seeking to its first frame, or decoding the frames before it without rendering
/// them, so every frame renders as in one pass), and process 0 joins the parts without
/// re-encoding, with the input's audio.
///
/// The clip's background plates are computed once, by process 0, and broadcast. Every
/// process then composes each frame exactly as a single process would, so the joined video's
/// frames, timestamps and audio are those of a single-process run (its packets differ only
/// where an inter-frame encoder starts a new group of pictures at each segment).
struct RenderSegment {
    /// The job.
    let job: MPIProcessGroup
    /// The frames this process renders (may be empty when the clip is shorter than the job).
    let frames: Range<Int>
    /// Every process's frame count, by rank.
    let frameCounts: [Int]
    /// Every process's part file, by rank.
    let partPaths: [String]
    /// The timestamp of this segment's first frame in the clip, as process 0 decoded it (nil
    /// for an empty segment): where it can seek to.
    let startTime: Double?

    /// This process's part file.
    var partPath: String { partPaths[job.rank] }

    /// Why an invocation cannot be split into segments, or nil when it can: everything that
    /// carries state from one frame to the next other than the clip's plate.
    static func refusal(options: HostOptions, output: String, readOnce: Bool) -> String? {
        if options.extractMotion != nil { return "-extract-motion reads the clip as one sequence" }
        if options.fit != nil { return "-fit trains one model; fit it first (mpirun -np N eqr fit CLIP -o MODEL), then render with -m MODEL" }
        if ImageFile.isSingleImagePath(output) { return "\(output) is a single image" }
        if readOnce { return "-i \(options.inputs[0]) can be read only once" }
        if options.postFilter != nil || options.outputRate != nil { return "-vf:out and -r filter the output as one sequence" }
        if options.plate != "clip" && options.render == RenderMode.composite.rawValue {
            return "-plate running learns the plate from the frames before each frame; the default -plate clip computes it once for all processes"
        }
        return nil
    }

    /// This process's segment, planned by process 0 from the clip it read (`shots`, and the
    /// `timestamps` of its frames), and the clip's shots, on every process: process 0
    /// broadcasts the frame count, each segment's start time and the shots with their plates.
    static func plan(job: MPIProcessGroup, shots: [HostCommand.Shot], timestamps: [Double], output: String) throws -> (RenderSegment, [HostCommand.Shot]) {
        var bytes: [UInt8] = []
        if job.rank == 0 {
            let starts = (0..<job.size).map { timestamps.count * $0 / job.size }
            var words = [Int64(timestamps.count), Int64(shots.count)]
            words += starts.map { Int64(bitPattern: ($0 < timestamps.count ? timestamps[$0] : -1).bitPattern) }
            var plates: [[UInt8]] = []
            for shot in shots {
                let plate = shot.plate?.bytes ?? []
                words += [Int64(shot.start), shot.plate == nil ? -1 : Int64(plate.count)]
                plates.append(plate)
            }
            bytes = words.flatMap { word in withUnsafeBytes(of: word.littleEndian) { Array($0) } } + plates.flatMap { $0 }
        }
        let length = try job.broadcast(bytes.count, from: 0)
        if job.rank != 0 { bytes = [UInt8](repeating: 0, count: length) }
        try job.broadcast(&bytes, from: 0)
        func word(_ k: Int) -> Int64 { bytes[(8 * k)..<(8 * k + 8)].reversed().reduce(Int64(0)) { $0 << 8 | Int64($1) } }
        let frameCount = Int(word(0)), shotCount = Int(word(1))
        let startTime = Double(bitPattern: UInt64(bitPattern: word(2 + job.rank)))
        var received: [HostCommand.Shot] = []
        var offset = 8 * (2 + job.size + 2 * shotCount)
        for k in 0..<shotCount {
            let start = Int(word(2 + job.size + 2 * k)), length = Int(word(3 + job.size + 2 * k))
            if length < 0 {
                received.append(HostCommand.Shot(start: start, plate: nil))
            } else {
                received.append(HostCommand.Shot(start: start, plate: try BackgroundPlate(bytes: Array(bytes[offset..<(offset + length)]))))
                offset += length
            }
        }
        return (RenderSegment(job: job, frameCount: frameCount, startTime: startTime >= 0 ? startTime : nil, output: output), job.rank == 0 ? shots : received)
    }

    /// The segments of a clip of `frameCount` frames for `job`, and the part files beside
    /// `output` (hidden names, the output's container).
    init(job: MPIProcessGroup, frameCount: Int, startTime: Double?, output: String) {
        self.job = job
        let bounds = (0...job.size).map { frameCount * $0 / job.size }
        frameCounts = (0..<job.size).map { bounds[$0 + 1] - bounds[$0] }
        frames = bounds[job.rank]..<bounds[job.rank + 1]
        self.startTime = startTime
        let url = URL(fileURLWithPath: output)
        let name = url.lastPathComponent, ext = url.pathExtension
        partPaths = (0..<job.size).map { url.deletingLastPathComponent().appendingPathComponent(".\(name).part\($0).\(ext)").path }
    }

    /// Ends the job's render once this process has rendered its part (`failure` nil) or
    /// failed: if any process failed, every process removes its part and throws; else
    /// process 0 joins the parts into `output` and removes them, and every process learns
    /// whether that worked (so all exit alike).
    func finish(failure: Error?, output: String, frameRate: Double, audioFrom audio: String?, audioSkipping: Double) throws {
        var failed: [Float] = [failure == nil ? 0 : 1]
        try job.sumAcrossProcesses(&failed)
        if failed[0] > 0 {
            unlink(partPath)
            if let failure { throw failure }
            throw RuntimeError("\(Int(failed[0])) of \(job.size) processes failed to render their segment (their messages say why); nothing was written")
        }
        var joinFailure: Error?
        if job.rank == 0 {
            let rendered = frameCounts.indices.filter { frameCounts[$0] > 0 }
            do {
                try SegmentJoiner.join(parts: rendered.map { partPaths[$0] }, frameCounts: rendered.map { frameCounts[$0] }, frameRate: frameRate,
                                       into: output, audioFrom: audio, audioSkipping: audioSkipping)
            } catch {
                joinFailure = error
            }
            for path in partPaths { unlink(path) }
        }
        var joinFailed: [Float] = [joinFailure == nil ? 0 : 1]
        try job.sumAcrossProcesses(&joinFailed)
        if let joinFailure { throw joinFailure }
        if joinFailed[0] > 0 { throw RuntimeError("process 0 could not join the segments into \(output) (its message says why)") }
    }
}
