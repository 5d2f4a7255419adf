# A user rule with a syntax error (the rule body is never closed). tollgate reports it with
# its file, line and column, leaves it out, and runs every other rule.
package tollgate.rules.cloudformation.unclosed_rule

import rego.v1

metadata := {"id": "unclosed-rule", "severity": "low"}

deny contains {"message": "never", "pointer": "", "resource": name} if {
	some name, _ in input.Resources
	name == 
}
