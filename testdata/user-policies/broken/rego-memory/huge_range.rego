# A user rule that builds a 400-million-element array (issue 15: 9.4 GB and 32 s before
# tollgate reported anything). regorus counts what it allocates and stops it at the memory
# limit of one evaluation (1 GiB by default, `--policy-memory-limit`); tollgate reports the
# limit naming this file, and the other rules still report.
package tollgate.rules.cloudformation.huge_range

import rego.v1

metadata := {"id": "huge-range", "severity": "low"}

xs := numbers.range(1, 400000000)

deny contains {"message": "never", "pointer": "", "resource": "-"} if {
	count(xs) < 0
}
