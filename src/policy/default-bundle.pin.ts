// Written by scripts/build-bundles.ts: the sha256 of bundles/default.tar.gz and of its stored form (the
// members, embedded so that a cold start neither gunzips nor untars), checked before the embedded default
// bundle is loaded. A mismatch means the bundle was changed without rebuilding from policies/.
export const DEFAULT_BUNDLE_SHA256 = "05977409474ed6b8e2d16a36af2ae49fbbb3cf107393ebbb25e5d027b00ebdd4";
export const DEFAULT_BUNDLE_WASM_SHA256 = "2186a6f8cb743b79301c7b379380dcc686b76d22c5450b45cf537240319ca7a8";
export const DEFAULT_BUNDLE_MEMBERS_SHA256 = "9d954d798a34346e280e3918f8691cee90126a22fd18956c27a3583e707de501";
