// Package detect holds the identifier and value detectors of the scanner:
// each is a pattern, a validator and a boundary rule (the gitleaks/trufflehog
// shape: cheap prefilter, then the exact check). Every function works on
// bytes, allocates nothing on the hot path and never panics on any input, so
// the scanner can call them once per field of a multi-gigabyte file.
//
// Rules follow DOMAIN.md §7: VIN per ISO 3779 / GB 16735, plates per GA 36,
// resident ID per GB 11643 (ISO 7064 MOD 11-2), mainland mobile numbers.
package detect
