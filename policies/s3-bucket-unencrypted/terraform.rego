# s3-bucket-unencrypted — terraform. The contract is CONTROLS.md; helpers are in policies/lib/tollgate.rego.
# tollgate: types=aws_s3_bucket,aws_s3_bucket_server_side_encryption_configuration
package tollgate.rules.terraform.s3_bucket_unencrypted

import rego.v1

import data.tollgate.lib

metadata := {"id": "s3-bucket-unencrypted"}

# Buckets that an aws_s3_bucket_server_side_encryption_configuration configures: through the
# configuration's references, or by a known bucket name.
configured_by_reference contains address if {
	some r in lib.items(input.resources)
	r.type == "aws_s3_bucket_server_side_encryption_configuration"
	some address in lib.items(object.get(object.get(r, "references", {}), "bucket", []))
}

configured_by_name contains name if {
	some r in lib.items(input.resources)
	r.type == "aws_s3_bucket_server_side_encryption_configuration"
	name := r.after.bucket
	lib.has_value(name)
}

encrypted(r) if {
	blocks := r.after.server_side_encryption_configuration
	is_array(blocks)
	count(blocks) > 0
}

encrypted(r) if r.config_address in configured_by_reference

encrypted(r) if r.after.bucket in configured_by_name

encrypted(r) if r.after.id in configured_by_name

deny contains {
	"message": sprintf("S3 bucket %s has no default encryption configuration (no server_side_encryption_configuration block or aws_s3_bucket_server_side_encryption_configuration resource)", [r.address]),
	"pointer": lib.pointer(["resources", i, "after"]),
	"resource": r.address,
} if {
	some i, r in lib.items(input.resources)
	r.type == "aws_s3_bucket"
	lib.is_managed(r)
	not encrypted(r)
}
