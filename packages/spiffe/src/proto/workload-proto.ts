// Generated from workload.proto (test/proto/workload-proto.test.ts keeps them equal): the
// text is embedded so the package needs no file-system lookup after bundling.
export const WORKLOAD_PROTO = `// The SPIFFE Workload API (X.509-SVID, JWT-SVID and bundle profiles), written from the
// SPIFFE Workload API and Workload Endpoint specifications. The service has no package, so
// methods are addressed as "/SpiffeWorkloadAPI/<Method>", as SPIRE and tbot serve them.
// Every call carries the metadata "workload.spiffe.io: true".
syntax = "proto3";

import "google/protobuf/struct.proto";

service SpiffeWorkloadAPI {
  // X.509-SVIDs the workload is entitled to, with bundles and CRLs; a new message
  // replaces the whole set whenever anything changes.
  rpc FetchX509SVID(X509SVIDRequest) returns (stream X509SVIDResponse);
  // X.509 bundles and CRLs only (for workloads that verify but hold no SVID).
  rpc FetchX509Bundles(X509BundlesRequest) returns (stream X509BundlesResponse);
  // JWT-SVIDs for the given audience.
  rpc FetchJWTSVID(JWTSVIDRequest) returns (JWTSVIDResponse);
  // JWT bundles (JWKS documents) keyed by trust domain.
  rpc FetchJWTBundles(JWTBundlesRequest) returns (stream JWTBundlesResponse);
  // Validates a JWT-SVID for an audience and returns its SPIFFE ID and claims.
  rpc ValidateJWTSVID(ValidateJWTSVIDRequest) returns (ValidateJWTSVIDResponse);
}

message X509SVIDRequest {}

message X509SVIDResponse {
  // The SVIDs; the first one is the default.
  repeated X509SVID svids = 1;
  // ASN.1 DER CRLs.
  repeated bytes crl = 2;
  // DER CA certificates (concatenated) of foreign trust domains, keyed by trust domain.
  map<string, bytes> federated_bundles = 3;
}

message X509SVID {
  // The SPIFFE ID of the SVID, e.g. spiffe://example.org/workload.
  string spiffe_id = 1;
  // DER certificates concatenated: the leaf first, then intermediates.
  bytes x509_svid = 2;
  // PKCS#8 DER private key of the leaf.
  bytes x509_svid_key = 3;
  // DER CA certificates concatenated: the bundle of the SVID's own trust domain.
  bytes bundle = 4;
  // An operator-chosen label to tell several SVIDs apart.
  string hint = 5;
}

message X509BundlesRequest {}

message X509BundlesResponse {
  repeated bytes crl = 1;
  // DER CA certificates concatenated, keyed by trust domain.
  map<string, bytes> bundles = 2;
}

message JWTSVID {
  string spiffe_id = 1;
  // The encoded JWT (compact JWS).
  string svid = 2;
  string hint = 3;
}

message JWTSVIDRequest {
  repeated string audience = 1;
  // Optional: only an SVID for this SPIFFE ID.
  string spiffe_id = 2;
}

message JWTSVIDResponse {
  repeated JWTSVID svids = 1;
}

message JWTBundlesRequest {}

message JWTBundlesResponse {
  // JWKS documents (JSON), keyed by trust domain.
  map<string, bytes> bundles = 1;
}

message ValidateJWTSVIDRequest {
  string audience = 1;
  string svid = 2;
}

message ValidateJWTSVIDResponse {
  string spiffe_id = 1;
  google.protobuf.Struct claims = 2;
}
`;
