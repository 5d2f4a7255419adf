# aws_launch_template block_device_mappings (its encrypted is a string): ebs without
# encrypted (null: finding at the ebs entry object), encrypted = false (the plan holds
# the string "false": finding at the value), an ephemeral mapping without ebs (no entry)
# and encrypted = true (the string "true": passes).

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "AKIAFAKEFAKEFAKEFAKE"
  secret_key                  = "fake-secret-key-for-offline-plans"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}

resource "aws_launch_template" "app" {
  name = "app"

  block_device_mappings {
    device_name = "/dev/xvda"
    ebs {
      volume_size = 10
    }
  }

  block_device_mappings {
    device_name = "/dev/sdf"
    ebs {
      volume_size = 10
      encrypted   = false
    }
  }

  block_device_mappings {
    device_name  = "/dev/sdb"
    virtual_name = "ephemeral0"
  }

  block_device_mappings {
    device_name = "/dev/sdg"
    ebs {
      volume_size = 10
      encrypted   = true
    }
  }
}
