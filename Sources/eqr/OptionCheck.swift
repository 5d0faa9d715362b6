import ArgumentParser
import EquivariantModel

/// Runs a library's check of values the user typed, before any work: a configuration it
/// refuses is the user's argument mistake, reported as a `ValidationError` (usage, exit
/// status 64) that names the option, not as a failure of the run (exit status 1).
func checkOption(_ option: String, _ check: () throws -> Void) throws {
    do {
        try check()
    } catch ModelError.invalidConfiguration(let message) {
        throw ValidationError("\(option): \(message)")
    }
}
