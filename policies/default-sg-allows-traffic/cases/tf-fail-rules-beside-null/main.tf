# Trap: one bad value must not hide the others. Four VPCs, each with its default security
# group managed: "open" keeps an ingress and an egress rule (two findings); "empty" writes no
# rules and "null_rules" sets them to null (both plan ingress/egress as null in after, true
# in after_unknown); "no_rules" sets them to empty lists. Only the blocks of "open" are
# findings.

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "AKIAFAKEFAKEFAKEFAKE"
  secret_key                  = "fake-secret-key-for-offline-plans"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}

resource "aws_vpc" "empty" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_default_security_group" "empty" {
  vpc_id = aws_vpc.empty.id
}

resource "aws_vpc" "open" {
  cidr_block = "10.1.0.0/16"
}

resource "aws_default_security_group" "open" {
  vpc_id = aws_vpc.open.id

  ingress {
    protocol  = "-1"
    self      = true
    from_port = 0
    to_port   = 0
  }

  egress {
    protocol    = "-1"
    from_port   = 0
    to_port     = 0
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_vpc" "null_rules" {
  cidr_block = "10.2.0.0/16"
}

resource "aws_default_security_group" "null_rules" {
  vpc_id  = aws_vpc.null_rules.id
  ingress = null
  egress  = null
}

resource "aws_vpc" "no_rules" {
  cidr_block = "10.3.0.0/16"
}

resource "aws_default_security_group" "no_rules" {
  vpc_id  = aws_vpc.no_rules.id
  ingress = []
  egress  = []
}
