// Written by scripts/build-bundles.ts: the sha256 of bundles/default.tar.gz and of its stored form (the
// members, embedded so that a cold start neither gunzips nor untars), checked before the embedded default
// bundle is loaded. A mismatch means the bundle was changed without rebuilding from policies/.
export const DEFAULT_BUNDLE_SHA256 = "41a8582032a66da42eb02d0d99684dcc35ac3e925aadb257e1df7267103210f0";
export const DEFAULT_BUNDLE_WASM_SHA256 = "650b7921cd3ca57def7dde1c4db8e19ba2adcb754b0446cc8d60f5c21d97134b";
export const DEFAULT_BUNDLE_MEMBERS_SHA256 = "626852505cdd9ec2e76ef224a1ef12de96e8dec1bac956aff72d31a1fa471fb6";
