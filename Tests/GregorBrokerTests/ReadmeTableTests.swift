import Foundation
import Testing
@testable import GregorBroker

/// The README's compatibility table is the one ApiVersions advertises.
@Suite struct ReadmeTableTests {
    @Test func readmeListsExactlyTheSupportedApis() throws {
        let readme = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("README.md")
        let text = try String(contentsOf: readme, encoding: .utf8)
        let begin = try #require(text.range(of: "<!-- api-versions:begin -->\n"))
        let end = try #require(text.range(of: "<!-- api-versions:end -->"))
        #expect(String(text[begin.upperBound..<end.lowerBound]) == SupportedApis.markdownTable(),
                "README.md is stale: paste the output of `gregor api-versions` between its markers")
    }
}
