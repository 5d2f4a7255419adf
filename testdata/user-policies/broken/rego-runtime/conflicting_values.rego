# A user rule that fails at run time: `owner` has two different values for the same input
# (a complete rule must have one). tollgate reports the error naming this file, and the other
# rules still report.
package tollgate.rules.cloudformation.conflicting_values

import rego.v1

metadata := {"id": "conflicting-values", "severity": "low"}

owner := "team-a" if count(input.Resources) > 0

owner := "team-b" if count(input.Resources) > 0

deny contains {"message": owner, "pointer": "", "resource": "-"} if {
	owner != ""
}
