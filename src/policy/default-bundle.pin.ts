// Written by scripts/build-bundles.ts: the sha256 of bundles/default.tar.gz, checked before the embedded
// default bundle is loaded. A mismatch means the bundle was changed without rebuilding from policies/.
export const DEFAULT_BUNDLE_SHA256 = "392bc62300b336e1b9f4a295d119f453d228da019db3150ce8421f2d4bc12cab";
