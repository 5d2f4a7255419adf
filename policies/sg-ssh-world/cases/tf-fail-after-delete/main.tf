# Trap: deletes are skipped. prior-state.json (copied in as terraform.tfstate by
# testdata/terraform/regen.sh) holds aws_security_group.legacy, open to SSH from the
# world, which this configuration no longer declares: the plan deletes it (change.after
# is null), so it is not evaluated and is not in the resource list. aws_security_group.web
# is resource_changes[1] but resource-list entry 0.

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

resource "aws_security_group" "web" {
  name   = "web"
  vpc_id = var.vpc_id

  ingress {
    protocol    = "tcp"
    from_port   = 22
    to_port     = 22
    cidr_blocks = ["0.0.0.0/0"]
  }
}
