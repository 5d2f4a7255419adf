# Trap: aws_security_group_rule: only type = "ingress" is checked; the egress rule
# to the world is not a finding.

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "AKIAFAKEFAKEFAKEFAKE"
  secret_key                  = "fake-secret-key-for-offline-plans"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}

variable "security_group_id" {
  type    = string
  default = "sg-0123456789abcdef0"
}

resource "aws_security_group_rule" "ssh_in" {
  type              = "ingress"
  security_group_id = var.security_group_id
  protocol          = "tcp"
  from_port         = 22
  to_port           = 22
  cidr_blocks       = ["0.0.0.0/0"]
}

resource "aws_security_group_rule" "all_out" {
  type              = "egress"
  security_group_id = var.security_group_id
  protocol          = "-1"
  from_port         = 0
  to_port           = 0
  cidr_blocks       = ["0.0.0.0/0"]
}
