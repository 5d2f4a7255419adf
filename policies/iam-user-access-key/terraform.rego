# iam-user-access-key — terraform. The contract is CONTROLS.md; helpers are in policies/lib/tollgate.rego.
# tollgate: scope=resource
# tollgate: types=aws_iam_access_key
package tollgate.rules.terraform.iam_user_access_key

import rego.v1

import data.tollgate.lib

metadata := {"id": "iam-user-access-key"}

# Every aws_iam_access_key whose status is not Inactive (unknown counts as not set: Active).
deny contains {
	"message": "IAM user access key is created: a long-term credential (status is not Inactive); use an IAM role instead",
	"pointer": lib.pointer(["resources", i, "after"]),
	"resource": r.address,
} if {
	some i, r in lib.items(input.resources)
	r.type == "aws_iam_access_key"
	lib.is_managed(r)
	not inactive(object.get(r.after, "status", null))
}

inactive(status) if {
	is_string(status)
	lower(trim_space(status)) == "inactive"
}
