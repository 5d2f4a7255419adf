# Trap: one unknown value must not hide the others. "computed" takes its ingress and egress
# rules from another security group whose rules are computed (it writes none), so the plan
# cannot know them: ingress/egress are unknown (after_unknown true, null in after). "open"
# keeps one ingress and one egress rule: exactly those two blocks are findings, nothing for
# "computed".

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "AKIAFAKEFAKEFAKEFAKE"
  secret_key                  = "fake-secret-key-for-offline-plans"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}

resource "aws_vpc" "computed" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_security_group" "template" {
  name   = "template"
  vpc_id = aws_vpc.computed.id
}

resource "aws_default_security_group" "computed" {
  vpc_id  = aws_vpc.computed.id
  ingress = aws_security_group.template.ingress
  egress  = aws_security_group.template.egress
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
