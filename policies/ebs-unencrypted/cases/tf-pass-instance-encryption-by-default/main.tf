# Trap: the plan turns EBS encryption by default on (aws_ebs_encryption_by_default, enabled
# by default), so instances without root_block_device are not flagged: no findings.

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "AKIAFAKEFAKEFAKEFAKE"
  secret_key                  = "fake-secret-key-for-offline-plans"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}

resource "aws_ebs_encryption_by_default" "on" {}

resource "aws_instance" "app" {
  ami           = "ami-0123456789abcdef0"
  instance_type = "t3.micro"
}

resource "aws_instance" "worker" {
  count         = 2
  ami           = "ami-0123456789abcdef0"
  instance_type = "t3.micro"
}
