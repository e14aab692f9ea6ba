// Written by scripts/build-bundles.ts: the sha256 of bundles/default.tar.gz, checked before the embedded
// default bundle is loaded. A mismatch means the bundle was changed without rebuilding from policies/.
export const DEFAULT_BUNDLE_SHA256 = "eb1eba75a37531a79844638825b4e728ec0abad492230177af2a90d46bf6c273";
