module tollgate/scripts/cyclonedx-go-types

go 1.23

require github.com/CycloneDX/cyclonedx-go v0.11.0
