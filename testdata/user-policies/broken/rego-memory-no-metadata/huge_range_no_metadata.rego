# The rule of ../rego-memory without `metadata`: rejected when the policies load, at once
# (only the `metadata` rule is evaluated to read it, never `xs` or `deny`).
package tollgate.rules.cloudformation.huge_range_no_metadata

import rego.v1

xs := numbers.range(1, 400000000)

deny contains {"message": "never", "pointer": "", "resource": "-"} if {
	count(xs) < 0
}
