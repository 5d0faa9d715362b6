import XCTest
import VideoIO

final class VideoIOPlaceholderTests: XCTestCase {
    func testModuleLinks() { XCTAssertNotNil(VideoIO.self) }
}
