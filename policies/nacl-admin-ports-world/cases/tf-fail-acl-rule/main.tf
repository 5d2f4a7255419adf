# Trap: aws_network_acl_rule: the inbound allow on 3389 is flagged; egress = true and
# rule_action = "deny" rules on 22 from the world are not.

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "AKIAFAKEFAKEFAKEFAKE"
  secret_key                  = "fake-secret-key-for-offline-plans"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}

variable "network_acl_id" {
  type    = string
  default = "acl-0123456789abcdef0"
}

resource "aws_network_acl_rule" "rdp_in" {
  network_acl_id = var.network_acl_id
  rule_number    = 100
  egress         = false
  protocol       = "tcp"
  rule_action    = "allow"
  cidr_block     = "0.0.0.0/0"
  from_port      = 3389
  to_port        = 3389
}

resource "aws_network_acl_rule" "ssh_out" {
  network_acl_id = var.network_acl_id
  rule_number    = 100
  egress         = true
  protocol       = "tcp"
  rule_action    = "allow"
  cidr_block     = "0.0.0.0/0"
  from_port      = 22
  to_port        = 22
}

resource "aws_network_acl_rule" "ssh_deny" {
  network_acl_id = var.network_acl_id
  rule_number    = 90
  protocol       = "tcp"
  rule_action    = "deny"
  cidr_block     = "0.0.0.0/0"
  from_port      = 22
  to_port        = 22
}
