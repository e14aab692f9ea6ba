// Written by scripts/build-bundles.ts: the sha256 of bundles/default.tar.gz, checked before the embedded
// default bundle is loaded. A mismatch means the bundle was changed without rebuilding from policies/.
export const DEFAULT_BUNDLE_SHA256 = "4472cacdd34079021f23d5a9d49002e0a70ded1063dfe1a87ba5d26b346f2c06";
