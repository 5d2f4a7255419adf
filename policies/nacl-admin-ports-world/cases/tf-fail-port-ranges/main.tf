# Trap: port ranges on aws_network_acl_rule: 0-65535 and 20-30 cover 22;
# 23-3388 covers neither admin port.

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

resource "aws_network_acl_rule" "wide" {
  network_acl_id = var.network_acl_id
  rule_number    = 100
  protocol       = "tcp"
  rule_action    = "allow"
  cidr_block     = "0.0.0.0/0"
  from_port      = 0
  to_port        = 65535
}

resource "aws_network_acl_rule" "narrow" {
  network_acl_id = var.network_acl_id
  rule_number    = 110
  protocol       = "tcp"
  rule_action    = "allow"
  cidr_block     = "0.0.0.0/0"
  from_port      = 20
  to_port        = 30
}

resource "aws_network_acl_rule" "between" {
  network_acl_id = var.network_acl_id
  rule_number    = 120
  protocol       = "tcp"
  rule_action    = "allow"
  cidr_block     = "0.0.0.0/0"
  from_port      = 23
  to_port        = 3388
}
