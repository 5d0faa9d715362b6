/// The two middle values of an unsorted run of levels, found by selection (Hoare's
/// quickselect) instead of a full sort: a per-pixel median over tens of samples runs once per
/// pixel of every plate, where sorting each column was the plate's largest cost.
public enum MiddleLevels {
    /// The values at ranks `(count − 1) / 2` and `count / 2` of `values[0..<count]` as if
    /// sorted (one and the same value for an odd count). Reorders `values`.
    /// - Precondition: `count > 0`.
    @inline(__always)
    public static func of<Level: Comparable>(_ values: UnsafeMutablePointer<Level>, count: Int) -> (low: Level, high: Level) {
        precondition(count > 0, "MiddleLevels: no values")
        let k = (count - 1) / 2
        var lower = 0, upper = count - 1
        while lower < upper {
            // Hoare partition around the middle element's value.
            let pivot = values[(lower + upper) / 2]
            var i = lower, j = upper
            while i <= j {
                while values[i] < pivot { i += 1 }
                while pivot < values[j] { j -= 1 }
                if i <= j {
                    values.swapAt(i, j)
                    i += 1
                    j -= 1
                }
            }
            if k <= j { upper = j } else if k >= i { lower = i } else { break }
        }
        let low = values[k]
        guard count % 2 == 0 else { return (low, low) }
        // Everything after rank k is ≥ it: the next rank is their minimum.
        var high = values[k + 1]
        for index in (k + 2)..<count where values[index] < high { high = values[index] }
        return (low, high)
    }
}

private extension UnsafeMutablePointer {
    @inline(__always) func swapAt(_ i: Int, _ j: Int) {
        let t = self[i]
        self[i] = self[j]
        self[j] = t
    }
}
