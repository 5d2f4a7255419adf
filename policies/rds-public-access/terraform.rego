# rds-public-access — terraform. The contract is CONTROLS.md; helpers are in policies/lib/tollgate.rego.
# tollgate: scope=resource
# tollgate: types=aws_db_instance,aws_rds_cluster_instance
package tollgate.rules.terraform.rds_public_access

import rego.v1

import data.tollgate.lib

metadata := {"id": "rds-public-access"}

deny contains {
	"message": sprintf("%s is publicly accessible (publicly_accessible is true)", [r.address]),
	"pointer": lib.pointer(["resources", i, "after", "publicly_accessible"]),
	"resource": r.address,
} if {
	some i, r in lib.items(input.resources)
	r.type in {"aws_db_instance", "aws_rds_cluster_instance"}
	lib.is_managed(r)
	lib.is_true(r.after.publicly_accessible)
}
