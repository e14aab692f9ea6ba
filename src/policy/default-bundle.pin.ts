// Written by scripts/build-bundles.ts: the sha256 of bundles/default.tar.gz, checked before the embedded
// default bundle is loaded. A mismatch means the bundle was changed without rebuilding from policies/.
export const DEFAULT_BUNDLE_SHA256 = "5c439b01955cfdfa6ad19019e7c9c3531298e1d8f22089df2136a5a9f185dd58";
