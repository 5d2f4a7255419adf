# ec2-imdsv1-allowed — cloudformation. The contract is CONTROLS.md; helpers are in policies/lib/tollgate.rego.
# tollgate: scope=resource
# tollgate: types=AWS::EC2::Instance,AWS::EC2::LaunchTemplate,AWS::AutoScaling::LaunchConfiguration
package tollgate.rules.cloudformation.ec2_imdsv1_allowed

import rego.v1

import data.tollgate.lib

metadata := {"id": "ec2-imdsv1-allowed"}

# The objects that hold MetadataOptions, as [name, path to the holder, what it is].
holders contains [name, ["Resources", name, "Properties"], "EC2 instance"] if {
	some name, res in lib.items(input.Resources)
	res.Type == "AWS::EC2::Instance"

	# Launched from a launch template without metadata options of its own: the template governs.
	not launched_from_template(lib.cfn_props(res))
}

holders contains [name, ["Resources", name, "Properties", "LaunchTemplateData"], "Launch template"] if {
	some name, res in lib.items(input.Resources)
	res.Type == "AWS::EC2::LaunchTemplate"
}

holders contains [name, ["Resources", name, "Properties"], "Launch configuration"] if {
	some name, res in lib.items(input.Resources)
	res.Type == "AWS::AutoScaling::LaunchConfiguration"
}

launched_from_template(props) if {
	lib.cfn_is_set(props, "LaunchTemplate")
	object.get(props, "MetadataOptions", null) == null
}

deny contains {
	"message": sprintf("%s does not require IMDSv2 (MetadataOptions.HttpTokens is not required)", [what]),
	"pointer": lib.pointer(location(options, path, name)),
	"resource": name,
} if {
	some [name, path, what] in holders
	options := metadata_options(object.get(input, path, null))
	not endpoint_disabled(options)
	not tokens_required(options)
}

# The holder's MetadataOptions; null when it is missing (or the holder is unknown).
metadata_options(holder) := options if {
	is_object(holder)
	options := holder.MetadataOptions
} else := null

tokens_required(options) if {
	tokens := options.HttpTokens
	is_string(tokens)
	lower(trim_space(tokens)) == "required"
}

endpoint_disabled(options) if {
	endpoint := options.HttpEndpoint
	is_string(endpoint)
	lower(trim_space(endpoint)) == "disabled"
}

# The HttpTokens value when it is written and known; else the MetadataOptions when present;
# else the resource's logical-id key.
location(options, path, name) := lib.value_path(options, "HttpTokens", at, at) if {
	is_object(options)
	at := array.concat(path, ["MetadataOptions"])
} else := array.concat(path, ["MetadataOptions"]) if {
	options != null
} else := ["Resources", name]
