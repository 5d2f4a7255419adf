# iam-user-access-key — cloudformation. The contract is CONTROLS.md; helpers are in policies/lib/tollgate.rego.
# tollgate: scope=resource
# tollgate: types=AWS::IAM::AccessKey
package tollgate.rules.cloudformation.iam_user_access_key

import rego.v1

import data.tollgate.lib

metadata := {"id": "iam-user-access-key"}

# Every access key that is not Inactive (a missing or unknown Status is Active, the default).
deny contains {
	"message": "IAM user access key is created: a long-term credential (Status is not Inactive); use an IAM role instead",
	"pointer": lib.pointer(["Resources", name]),
	"resource": name,
} if {
	some name, res in lib.items(input.Resources)
	res.Type == "AWS::IAM::AccessKey"
	not inactive(object.get(lib.cfn_props(res), "Status", null))
}

inactive(status) if {
	is_string(status)
	lower(trim_space(status)) == "inactive"
}
