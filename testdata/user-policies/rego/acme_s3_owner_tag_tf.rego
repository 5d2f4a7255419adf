# The worked example of docs/writing-rego-policies.md (kept identical; a test uses it).
package tollgate.rules.terraform.acme_s3_owner_tag

import rego.v1

import data.tollgate.lib

metadata := {
	"id": "acme-s3-owner-tag",
	"title": "S3 bucket has no owner tag",
	"severity": "low",
}

deny contains {
	"message": sprintf("S3 bucket %s has no owner tag", [r.address]),
	"pointer": lib.pointer(["resources", i, "after"]),
	"resource": r.address,
} if {
	some i, r in lib.items(input.resources)
	r.type == "aws_s3_bucket"
	lib.is_managed(r)
	# tags_all includes the provider's default_tags
	not lib.has_value(object.get(object.get(r.after, "tags_all", {}), "owner", null))
	not lib.has_value(object.get(object.get(r.after, "tags", {}), "owner", null))
}
