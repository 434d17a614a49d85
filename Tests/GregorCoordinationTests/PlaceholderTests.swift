import Testing
@testable import GregorCoordination
