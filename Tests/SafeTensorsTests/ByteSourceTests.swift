import Foundation
import SafeTensors
import XCTest

/// The file byte source: paths that are missing or not regular files.
final class ByteSourceTests: SafeTensorsTestCase {
    func testReadingMissingOrNonRegularFileFails() {
        let directory = temporaryDirectory()
        for url in [directory.appendingPathComponent("absent.safetensors"), directory] {
            XCTAssertThrowsError(try SafeTensors.read(contentsOf: url)) { error in
                guard case .readFailed(let path, _)? = error as? SafeTensorsError else {
                    return XCTFail("expected readFailed, got \(error)")
                }
                XCTAssertEqual(path, url.path)
            }
            XCTAssertThrowsError(try SafeTensors.readHeader(contentsOf: url)) {
                guard case .readFailed? = $0 as? SafeTensorsError else { return XCTFail("expected readFailed, got \($0)") }
            }
        }
    }
}
