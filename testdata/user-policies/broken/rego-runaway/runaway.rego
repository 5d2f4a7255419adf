# A user rule that runs (practically) forever: 10^12 iterations. regorus stops it at the
# engine's time limit (60 s by default, `RegoEngine::set_time_limit`); tollgate reports the
# limit naming this file, and the other rules still report.
package tollgate.rules.cloudformation.runaway

import rego.v1

metadata := {"id": "runaway", "severity": "low"}

deny contains {"message": "never", "pointer": "", "resource": "-"} if {
	some i in numbers.range(1, 1000000)
	some j in numbers.range(1, 1000000)
	i * j < 0
}
