# Trap: update and replace actions are evaluated like creates. prior-state.json (copied
# in as terraform.tfstate by testdata/terraform/regen.sh) holds both groups:
# aws_security_group.web changes its ingress from 443 to 3389 (update in place), and
# aws_security_group.renamed changes its name, which forces a replacement
# (actions ["delete", "create"]); both end up open on 3389 to the world.

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

resource "aws_security_group" "renamed" {
  name   = "new-name"
  vpc_id = var.vpc_id

  ingress {
    protocol    = "tcp"
    from_port   = 3389
    to_port     = 3389
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_security_group" "web" {
  name   = "web"
  vpc_id = var.vpc_id

  ingress {
    protocol    = "tcp"
    from_port   = 3389
    to_port     = 3389
    cidr_blocks = ["0.0.0.0/0"]
  }
}
