# Trap: CIDRs built from another resource's attribute (an EIP's public_ip) are
# unknown until apply; unknown values never produce a world-open finding.

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "AKIAFAKEFAKEFAKEFAKE"
  secret_key                  = "fake-secret-key-for-offline-plans"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}

variable "vpc_id" {
  type    = string
  default = "vpc-0123456789abcdef0"
}

variable "security_group_id" {
  type    = string
  default = "sg-0123456789abcdef0"
}

resource "aws_eip" "bastion" {
  domain = "vpc"
}

resource "aws_security_group" "admin" {
  name   = "admin"
  vpc_id = var.vpc_id

  ingress {
    protocol    = "tcp"
    from_port   = 22
    to_port     = 22
    cidr_blocks = ["${aws_eip.bastion.public_ip}/32"]
  }
}

resource "aws_vpc_security_group_ingress_rule" "rdp" {
  security_group_id = var.security_group_id
  ip_protocol       = "tcp"
  from_port         = 3389
  to_port           = 3389
  cidr_ipv4         = "${aws_eip.bastion.public_ip}/32"
}
