// Written by scripts/build-bundles.ts: the sha256 of bundles/default.tar.gz, checked before the embedded
// default bundle is loaded. A mismatch means the bundle was changed without rebuilding from policies/.
export const DEFAULT_BUNDLE_SHA256 = "995a9fa14607b267a59426612f4e47fb4dc89cbf259bdda6b31a0eab636739da";
