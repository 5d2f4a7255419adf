# aws_ebs_volume without encrypted (unknown in the plan: finding at change.after) and
# with encrypted = false (finding at the value).

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "AKIAFAKEFAKEFAKEFAKE"
  secret_key                  = "fake-secret-key-for-offline-plans"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}

resource "aws_ebs_volume" "unset" {
  availability_zone = "us-east-1a"
  size              = 10
}

resource "aws_ebs_volume" "off" {
  availability_zone = "us-east-1a"
  size              = 10
  encrypted         = false
}
