# Trap: the ebs_block_device's snapshot_id is a variable whose default is null, so it is not
# set and the snapshot exemption does not apply: the block is flagged.

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "AKIAFAKEFAKEFAKEFAKE"
  secret_key                  = "fake-secret-key-for-offline-plans"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}

variable "data_snapshot" {
  type    = string
  default = null
}

resource "aws_launch_configuration" "app" {
  name_prefix   = "app-"
  image_id      = "ami-0123456789abcdef0"
  instance_type = "t3.micro"

  root_block_device {
    volume_size = 10
    encrypted   = true
  }

  ebs_block_device {
    device_name = "/dev/sdf"
    volume_size = 10
    snapshot_id = var.data_snapshot
  }
}
