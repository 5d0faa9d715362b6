import Foundation
import Retargeting
import Tensors
import XCTest

/// The effect grammar every front end shares (`eqr -effect`, `eqr_context_set_effect`, the
/// plugins' effect parameter): every option, its range, and the errors for bad values.
final class EffectSpecificationTests: XCTestCase {
    func testNamesWithoutOptions() throws {
        XCTAssertEqual(try EffectSpecification.parse("swap"), .swap)
        XCTAssertEqual(try EffectSpecification.parse("reconstruct"), .reconstruct)
        XCTAssertEqual(try EffectSpecification.parse("matte"), .matte)
        XCTAssertEqual(try EffectSpecification.parse("cutout"), .cutout)
        XCTAssertThrowsError(try EffectSpecification.parse("matte=x=1")) { XCTAssertTrue("\($0)".contains("takes no options"), "\($0)") }
        XCTAssertThrowsError(try EffectSpecification.parse("swap=angle=3")) { XCTAssertTrue("\($0)".contains("takes no options"), "\($0)") }
        XCTAssertThrowsError(try EffectSpecification.parse("blur")) { XCTAssertTrue("\($0)".contains("unknown effect 'blur'"), "\($0)") }
        XCTAssertThrowsError(try EffectSpecification.parse("")) { XCTAssertTrue("\($0)".contains("unknown effect"), "\($0)") }
    }

    /// `+` separates options as `:` does (no escaping in an ffmpeg filter graph), but not
    /// inside a number's exponent.
    func testPlusSeparatesOptionsLikeAColon() throws {
        let colon = try EffectSpecification.parse("transform=angle=20:scale=1.3:tx=0.1")
        XCTAssertEqual(try EffectSpecification.parse("transform=angle=20+scale=1.3+tx=0.1"), colon)
        XCTAssertEqual(try EffectSpecification.parse("transform=angle=20+scale=1.3:tx=0.1"), colon)
        XCTAssertEqual(try EffectSpecification.parse("transform=angle=2e+1+scale=1.3:tx=0.1"), colon)
        XCTAssertNotEqual(try EffectSpecification.parse("transform=angle=20+scale=1.2:tx=0.1"), colon)
    }

    /// Every transform option alone gives the motion built from it; the rest keep their defaults.
    func testEveryTransformOption() throws {
        XCTAssertEqual(try EffectSpecification.parse("transform"), .transform(keyframes: [0: .identity]))
        let expected: [String: Affine2D] = [
            "angle=90": Affine2D(angle: .pi / 2),
            "scale=2": Affine2D(angle: 0, scaleX: 2, scaleY: 2),
            "sx=2": Affine2D(angle: 0, scaleX: 2, scaleY: 1),
            "sy=0.5": Affine2D(angle: 0, scaleX: 1, scaleY: 0.5),
            "shear=0.5": Affine2D(angle: 0, scaleX: 1, scaleY: 1, shear: 0.5),
            "tx=0.25": Affine2D(translationX: 0.25),
            "ty=-1": Affine2D(translationY: -1),
        ]
        XCTAssertEqual(Set(EffectSpecification.table.map(\.name)), Set(expected.keys.map { String($0.split(separator: "=")[0]) }))
        for (text, motion) in expected {
            guard case .transform(let keyframes) = try EffectSpecification.parse("transform=" + text) else { return XCTFail(text) }
            XCTAssertEqual(keyframes.count, 1)
            for (a, b) in zip(keyframes[0]!.elements, motion.elements) { XCTAssertEqual(a, b, accuracy: 1e-6, text) }
        }
        // Options combine: scale and sx multiply.
        guard case .transform(let combined) = try EffectSpecification.parse("transform=scale=2:sx=1.5:tx=0.1") else { return XCTFail() }
        for (a, b) in zip(combined[0]!.elements, Affine2D(angle: 0, scaleX: 3, scaleY: 2, translationX: 0.1).elements) { XCTAssertEqual(a, b, accuracy: 1e-6) }
    }

    /// Each range's ends are accepted and values just outside them are refused by name.
    func testRangesAreEnforced() throws {
        for option in EffectSpecification.table {
            for inside in [option.range.lowerBound, option.range.upperBound] {
                XCTAssertNoThrow(try EffectSpecification.parse("transform=\(option.name)=\(inside)"), option.name)
            }
            for outside in [option.range.lowerBound - 0.01, option.range.upperBound + 0.01] {
                XCTAssertThrowsError(try EffectSpecification.parse("transform=\(option.name)=\(outside)")) {
                    XCTAssertTrue("\($0)".contains("\(option.name)=\(outside) is outside"), "\($0)")
                }
            }
        }
    }

    func testBadValuesAndKeys() {
        for (text, message) in [
            ("transform=angle=abc", "angle=abc is not a number"),
            ("transform=angle=nan", "angle=nan is not a number"),
            ("transform=angle=inf", "angle=inf is not a number"),
            ("transform=zoom=2", "unknown option 'zoom'"),
            ("transform=angle", "'angle' is not key=value"),
            ("transform==3", "'=3' is not key=value"),
            ("transfer", "needs exactly template=FILE"),
            ("transfer=template=a.json:angle=3", "needs exactly template=FILE"),
            ("transform=keyframes=k.json:angle=3", "cannot be combined"),
        ] {
            XCTAssertThrowsError(try EffectSpecification.parse(text), text) { XCTAssertTrue("\($0)".contains(message), "\(text): \($0)") }
        }
    }

    func testKeyframeAndTemplateFiles() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("eqr-effects-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let keyframes = directory.appendingPathComponent("k.json")
        try Data(#"[{"frame": 0, "angle": 0}, {"frame": 10, "angle": 90, "tx": 0.5}]"#.utf8).write(to: keyframes)
        guard case .transform(let parsed) = try EffectSpecification.parse("transform=keyframes=\(keyframes.path)") else { return XCTFail() }
        XCTAssertEqual(parsed.keys.sorted(), [0, 10])
        XCTAssertEqual(parsed[10]!.elements[2], 0.5, accuracy: 1e-6)

        for (body, message) in [
            ("{}", "is not a JSON list of keyframes"),
            (#"[{"angle": 3}]"#, "needs a \"frame\""),
            (#"[{"frame": -1}]"#, "needs a \"frame\""),
            (#"[{"frame": 0, "angle": "x"}]"#, "angle is not a number"),
            (#"[{"frame": 0, "angle": 500}]"#, "is outside -180...180"),
        ] {
            try Data(body.utf8).write(to: keyframes)
            XCTAssertThrowsError(try EffectSpecification.parse("transform=keyframes=\(keyframes.path)")) { XCTAssertTrue("\($0)".contains(message), "\(body): \($0)") }
        }
        XCTAssertThrowsError(try EffectSpecification.parse("transform=keyframes=\(directory.path)/missing.json")) {
            XCTAssertTrue("\($0)".contains("cannot read the keyframe file"), "\($0)")
        }

        let template = MotionTemplate(variant: "features", resolution: 64, frameRate: 25, steps: [Affine2D(translationX: 0.1).elements])
        let templateURL = directory.appendingPathComponent("walk.json")
        try template.write(to: templateURL)
        XCTAssertEqual(try EffectSpecification.parse("transfer=template=\(templateURL.path)"), .transfer(template))
        XCTAssertThrowsError(try EffectSpecification.parse("transfer=template=\(directory.path)/missing.json"))

        // A FIFO (its read would block for ever), a device that never ends, a folder.
        let fifo = directory.appendingPathComponent("fifo").path
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        for path in [fifo, "/dev/zero", directory.path] {
            XCTAssertThrowsError(try EffectSpecification.parse("transform=keyframes=\(path)")) {
                XCTAssertTrue("\($0)".contains("the keyframe file \(path) is not a regular file"), "\($0)")
            }
            XCTAssertThrowsError(try EffectSpecification.parse("transfer=template=\(path)")) {
                XCTAssertTrue("\($0)".contains("the motion template \(path) is not a regular file"), "\($0)")
            }
        }
    }

    func testHelpListsEveryOptionWithItsRange() {
        let help = EffectSpecification.help
        for option in EffectSpecification.table {
            XCTAssertTrue(help.contains("  \(option.name)"), option.name)
            XCTAssertTrue(help.contains("range \(EffectSpecification.format(option.range.lowerBound))...\(EffectSpecification.format(option.range.upperBound))"), option.name)
        }
        for name in ["swap", "reconstruct", "transform", "transfer", "keyframes", "template"] { XCTAssertTrue(help.contains(name), name) }
    }
}
