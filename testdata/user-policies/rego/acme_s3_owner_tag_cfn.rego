# The worked example of docs/writing-rego-policies.md (kept identical; a test uses it).
package tollgate.rules.cloudformation.acme_s3_owner_tag

import rego.v1

import data.tollgate.lib

metadata := {
	"id": "acme-s3-owner-tag",
	"title": "S3 bucket has no owner tag",
	"severity": "low",
	"description": "Every bucket must carry an `owner` tag naming the team that owns it.",
}

owner_tag(props) := tag if {
	some tag in lib.items(props.Tags)
	tag.Key == "owner"
}

# No owner tag at all: point at the Tags list if there is one, else at the resource.
deny contains {
	"message": "S3 bucket has no owner tag",
	"pointer": lib.pointer(where),
	"resource": name,
} if {
	some name, res in lib.items(input.Resources)
	res.Type == "AWS::S3::Bucket"
	props := lib.cfn_props(res)
	not owner_tag(props)
	where := tags_or_resource(name, props)
}

tags_or_resource(name, props) := ["Resources", name, "Properties", "Tags"] if {
	is_array(props.Tags)
} else := ["Resources", name]

# An owner tag with an empty value: point at the value.
deny contains {
	"message": "S3 bucket's owner tag is empty",
	"pointer": lib.pointer(["Resources", name, "Properties", "Tags", i, "Value"]),
	"resource": name,
} if {
	some name, res in lib.items(input.Resources)
	res.Type == "AWS::S3::Bucket"
	some i, tag in lib.items(lib.cfn_props(res).Tags)
	tag.Key == "owner"
	trim_space(tag.Value) == ""
}
