import Tensors

/// Refines an estimated motion of the character between two frames by aligning its pixels:
/// the sampling matrix θ (normalised coordinates, output point → source point) is moved,
/// by damped Gauss–Newton steps on a coarse-to-fine pyramid, until frame t's character
/// (its matte) moved by θ matches frame t + 1, the Lucas–Kanade way.
///
/// The model estimates θ at its own resolution, from features; a composite moves the
/// character's real pixels at the video's resolution, where every error of θ shows as a
/// misplaced edge. Nothing here reads a label: only the two frames and the first one's matte.
public enum MotionRefinement {
    /// The longer side of the finest pyramid level, in pixels.
    public static let workingSide = 128

    /// θ refined so that `source`'s character (where `matte` is set) moved by θ matches
    /// `target` (same size as `source`). The alignment also starts from the identity, and the
    /// better match of the two wins: an estimate far off in an ambiguous texture (a ring
    /// pattern hides its rotation) can lead Lucas–Kanade into a wrong valley that "no motion"
    /// avoids. Returns `theta` unchanged when the matte covers too few pixels to align, or
    /// when both alignments run away from their start (a change of more than 0.5 in any
    /// entry): the model's estimate is then the better guess.
    public static func refine(_ theta: Affine2D, from source: PlanarImage, matte: PlanarMask, to target: PlanarImage) -> Affine2D {
        precondition(source.width == target.width && source.height == target.height && matte.width == source.width && matte.height == source.height,
                     "MotionRefinement: frame and matte sizes differ")
        let scale = min(1, Float(workingSide) / Float(max(source.width, source.height)))
        let starts = theta == .identity ? [theta.elements] : [theta.elements, Affine2D.identity.elements]
        guard let aligned = AffineAlignment.coarseToFine(
            from: starts, sourceGrey: AffineAlignment.grey(planarRGB: source.values, planeSize: source.planeSize), weight: matte.values, targetGrey: AffineAlignment.grey(planarRGB: target.values, planeSize: target.planeSize),
            fullWidth: source.width, fullHeight: source.height,
            width: Int((Float(source.width) * scale).rounded()), height: Int((Float(source.height) * scale).rounded()))
        else { return theta }
        return Affine2D(aligned)
    }

    /// `template` with each step t → t+1 aligned on the clip it came from: `nextFrame` gives
    /// the clip's frames in order, each with its character's matte and the index of its shot
    /// (nil at the end). A step across a cut, or past the last frame given, stays as it is.
    public static func refine(_ template: MotionTemplate,
                              frames nextFrame: () throws -> (image: PlanarImage, matte: PlanarMask, shot: Int)?) rethrows -> MotionTemplate {
        var refined = template
        guard var previous = try nextFrame() else { return refined }
        for t in refined.steps.indices {
            guard let current = try nextFrame() else { break }
            if current.shot == previous.shot && current.image.width == previous.image.width && current.image.height == previous.image.height {
                refined.steps[t] = refine(Affine2D(refined.steps[t]), from: previous.image, matte: previous.matte, to: current.image).elements
            }
            previous = current
        }
        return refined
    }
}
