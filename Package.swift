// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Gregor",
    products: [
        .library(name: "KafkaProtocol", targets: ["KafkaProtocol"]),
        .executable(name: "kafka-codegen", targets: ["kafka-codegen"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        // X.509 certificates: `gregor dev-certs` and the principal of a client certificate.
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    ],
    targets: [
        // zlib, zstd, lz4 and snappy from Debian's -dev packages (record compression).
        .systemLibrary(
            name: "CCompression",
            path: "Sources/CCompression",
            providers: [.apt(["zlib1g-dev", "libzstd-dev", "liblz4-dev", "libsnappy-dev"])]
        ),
        // Cyrus SASL (Debian's libsasl2-dev) for GSSAPI, behind a small C API.
        .target(name: "CCyrusSasl", path: "Sources/CCyrusSasl", linkerSettings: [.linkedLibrary("sasl2")]),
        // CRC32C with the SSE4.2 instruction where the CPU has it, a table otherwise.
        .target(name: "CKafkaCRC32C", path: "Sources/CKafkaCRC32C"),
        .target(
            name: "KafkaProtocol",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                "CCompression",
                "CKafkaCRC32C",
            ]
        ),
        // The generated messages of the APIs Gregor does not serve (ProtocolSpecs/served-apis.txt):
        // built for the codec's tests, not for the broker.
        .target(
            name: "KafkaProtocolUnserved",
            dependencies: ["KafkaProtocol", .product(name: "NIOCore", package: "swift-nio")]
        ),
        // Partition logs in Kafka's on-disk layout; speaks in domain types, never generated messages.
        .target(
            name: "GregorStorage",
            dependencies: [
                "KafkaProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Group (and later transaction) coordinators: pure state machines with injected clocks.
        .target(
            name: "GregorCoordination",
            dependencies: [
                "KafkaProtocol", "GregorStorage",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // A cluster of brokers: the etcd v3 client, the metadata kept there, and the controller's
        // decisions as pure state machines.
        .target(
            name: "GregorCluster",
            dependencies: [
                "KafkaProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The server, the connection state machine and one handler per API.
        .target(
            name: "GregorBroker",
            dependencies: [
                "KafkaProtocol", "GregorStorage", "GregorCoordination", "GregorCluster", "GregorClient", "CCyrusSasl",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // A small async Kafka client over the generated codec; the CLI's admin, produce and consume.
        .target(
            name: "GregorClient",
            dependencies: [
                "KafkaProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
        .executableTarget(
            name: "gregor",
            dependencies: [
                "GregorBroker", "GregorClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(name: "KafkaCodegen"),
        .executableTarget(
            name: "kafka-codegen",
            dependencies: [
                "KafkaCodegen",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // Counts heap allocations; linked into benchmarks only.
        .target(name: "CMallocCounter", path: "Sources/CMallocCounter"),
        .executableTarget(
            name: "codec-bench",
            dependencies: ["KafkaProtocol", "CMallocCounter", .product(name: "NIOCore", package: "swift-nio")]
        ),
        // Appends until SIGKILLed; spawned by GregorStorageTests' CrashTests.
        .executableTarget(
            name: "storage-crash-child",
            dependencies: [
                "GregorStorage", "KafkaProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Log append and read throughput against raw pwrite/pread on the same disk.
        .executableTarget(
            name: "storage-bench",
            dependencies: [
                "GregorStorage", "KafkaProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "KafkaProtocolTests",
            dependencies: ["KafkaProtocol", "KafkaProtocolUnserved", .product(name: "NIOCore", package: "swift-nio")],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "GregorStorageTests",
            dependencies: ["GregorStorage", "KafkaProtocol", .product(name: "NIOCore", package: "swift-nio")]
        ),
        .testTarget(
            name: "GregorCoordinationTests",
            dependencies: ["GregorCoordination", "KafkaProtocol", .product(name: "NIOCore", package: "swift-nio")]
        ),
        // A real etcd for the tests that need one (GregorClusterTests, GregorBrokerTests).
        .target(name: "GregorTestSupport", path: "Tests/Support"),
        .testTarget(
            name: "GregorClusterTests",
            dependencies: ["GregorCluster", "GregorTestSupport", "KafkaProtocol", .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "NIOPosix", package: "swift-nio"), .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(
            name: "GregorBrokerTests",
            dependencies: [
                "GregorBroker", "GregorClient", "GregorTestSupport", "KafkaProtocol", "GregorStorage",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "GregorClientTests",
            dependencies: [
                "GregorClient", "GregorBroker", "GregorStorage", "KafkaProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "KafkaCodegenTests",
            dependencies: ["KafkaCodegen"],
            resources: [.copy("Fixtures")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
