# ec2-imdsv1-allowed — terraform. The contract is CONTROLS.md; helpers are in policies/lib/tollgate.rego.
# tollgate: scope=resource
# tollgate: types=aws_instance,aws_launch_template,aws_launch_configuration
package tollgate.rules.terraform.ec2_imdsv1_allowed

import rego.v1

import data.tollgate.lib

metadata := {"id": "ec2-imdsv1-allowed"}

# The checked types, and what each is as the message names it (the same words as the Guard rule's).
what := {
	"aws_instance": "EC2 instance",
	"aws_launch_template": "Launch template",
	"aws_launch_configuration": "Launch configuration",
}

# A metadata_options block that neither requires tokens nor disables the endpoint.
deny contains {
	"message": sprintf("%s does not require IMDSv2 (metadata_options http_tokens is not required)", [what[r.type]]),
	"pointer": lib.pointer(lib.value_path(b, "http_tokens", ["resources", i, "after", "metadata_options", j], ["resources", i, "after", "metadata_options", j])),
	"resource": r.address,
} if {
	some i, r in lib.items(input.resources)
	what[r.type]
	lib.is_managed(r)
	some j, b in lib.items(r.after.metadata_options)
	is_object(b)
	not endpoint_disabled(b)
	not tokens_required(b)
}

# No metadata_options block in the plan (absent, empty or unknown): tokens are not required,
# unless an instance is launched from a launch template (the template governs).
deny contains {
	"message": sprintf("%s does not require IMDSv2 (metadata_options http_tokens is not required)", [what[r.type]]),
	"pointer": lib.pointer(["resources", i, "after"]),
	"resource": r.address,
} if {
	some i, r in lib.items(input.resources)
	what[r.type]
	lib.is_managed(r)
	not has_blocks(r.after, "metadata_options")
	not launched_from_template(r)
}

launched_from_template(r) if {
	r.type == "aws_instance"
	has_blocks(r.after, "launch_template")
}

# `obj[key]` is a non-empty list of blocks.
has_blocks(obj, key) if {
	blocks := obj[key]
	is_array(blocks)
	count(blocks) > 0
}

tokens_required(b) if {
	is_string(b.http_tokens)
	lower(trim_space(b.http_tokens)) == "required"
}

endpoint_disabled(b) if {
	is_string(b.http_endpoint)
	lower(trim_space(b.http_endpoint)) == "disabled"
}
