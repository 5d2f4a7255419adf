# ebs-unencrypted — cloudformation. The contract is CONTROLS.md; helpers are in policies/lib/tollgate.rego.
# tollgate: scope=resource
# tollgate: types=AWS::EC2::Volume,AWS::EC2::Instance,AWS::EC2::LaunchTemplate,AWS::AutoScaling::LaunchConfiguration
package tollgate.rules.cloudformation.ebs_unencrypted

import rego.v1

import data.tollgate.lib

metadata := {"id": "ebs-unencrypted"}

# An AWS::EC2::Volume not created from a snapshot (a snapshot's volume inherits its encryption).
deny contains {
	"message": "EBS volume is not encrypted (Encrypted is not true)",
	"pointer": lib.pointer(lib.value_path(props, "Encrypted", ["Resources", name, "Properties"], ["Resources", name])),
	"resource": name,
} if {
	some name, res in lib.items(input.Resources)
	res.Type == "AWS::EC2::Volume"
	props := lib.cfn_props(res)
	not lib.is_true(object.get(props, "Encrypted", null))
	not lib.cfn_is_set(props, "SnapshotId")
}

# Block-device mappings of instances, launch templates and launch configurations.
mappings contains [name, ["Resources", name, "Properties", "BlockDeviceMappings"], "instance"] if {
	some name, res in lib.items(input.Resources)
	res.Type == "AWS::EC2::Instance"
}

mappings contains [name, ["Resources", name, "Properties", "LaunchTemplateData", "BlockDeviceMappings"], "launch template"] if {
	some name, res in lib.items(input.Resources)
	res.Type == "AWS::EC2::LaunchTemplate"
}

mappings contains [name, ["Resources", name, "Properties", "BlockDeviceMappings"], "launch configuration"] if {
	some name, res in lib.items(input.Resources)
	res.Type == "AWS::AutoScaling::LaunchConfiguration"
}

deny contains {
	"message": sprintf("EBS block device %s of %s %s is not encrypted (Encrypted is not true)", [device_name(m), what, name]),
	"pointer": lib.pointer(lib.value_path(ebs, "Encrypted", array.concat(path, [j, "Ebs"]), array.concat(path, [j, "Ebs"]))),
	"resource": name,
} if {
	some [name, path, what] in mappings
	list := object.get(input, path, null)
	is_array(list)
	some j, m in list
	ebs := m.Ebs
	is_object(ebs)
	not lib.is_intrinsic(ebs)
	not lib.is_true(object.get(ebs, "Encrypted", null))
	not lib.cfn_is_set(ebs, "SnapshotId")
}

device_name(m) := m.DeviceName if {
	is_string(m.DeviceName)
} else := "(no device name)"
